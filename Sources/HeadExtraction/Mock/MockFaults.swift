import AssetTransport
import Foundation

/// What ``MockService`` should do differently from a healthy API. `Codable`, so it can be set
/// over HTTP as JSON.
///
/// ```swift
/// mock.faults.withLock {
///     $0.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS", retryAfterSeconds: 1)]
///     $0.headCount = 2
/// }
/// ```
public struct MockFaults: Codable, Sendable, Hashable {
    /// Answers for the next API calls (extraction or credits), first in first out.
    public var scriptedErrors: [ScriptedError] = []
    /// Heads found in every image (at most 64): 0 answers `ERROR_NO_FACE_IN_FILE`.
    public var headCount: Int = 1
    /// Delay before every answer, in milliseconds.
    public var latencyMilliseconds: Int = 0
    /// Answer 401 `ERROR_APPLICATIONS_NOT_EXISTS` when the key is missing or `bad`.
    public var requireKey: Bool = false
    /// Faults for the next result downloads, first in first out.
    public var downloadFaults: [DownloadFault] = []
    /// The balances the credits endpoint answers with.
    public var credits: [CreditBalance] = MockFaults.defaultCredits

    public init() {}

    enum CodingKeys: String, CodingKey {
        case scriptedErrors, headCount, latencyMilliseconds, requireKey, downloadFaults, credits
    }

    /// Decodes a partial state: a missing field keeps its default, so `{"headCount": 0}` is enough.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = MockFaults()
        scriptedErrors = try container.decodeIfPresent([ScriptedError].self, forKey: .scriptedErrors) ?? defaults.scriptedErrors
        headCount = try container.decodeIfPresent(Int.self, forKey: .headCount) ?? defaults.headCount
        latencyMilliseconds = try container.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? defaults.latencyMilliseconds
        requireKey = try container.decodeIfPresent(Bool.self, forKey: .requireKey) ?? defaults.requireKey
        downloadFaults = try container.decodeIfPresent([DownloadFault].self, forKey: .downloadFaults) ?? defaults.downloadFaults
        credits = try container.decodeIfPresent([CreditBalance].self, forKey: .credits) ?? defaults.credits
    }

    /// Delay before every answer.
    public var latency: Duration {
        get { .milliseconds(latencyMilliseconds) }
        set {
            let (seconds, attoseconds) = newValue.components
            latencyMilliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        }
    }

    /// 100 Head Extraction credits and 1000 universal ones.
    public static let defaultCredits = [
        CreditBalance(uniqueSign: "cutout_avatar_extraction", name: "Head Extraction", balance: 100, total: 100),
        CreditBalance(uniqueSign: "common", name: "Universal credits", balance: 1000, total: 1000),
    ]
}
