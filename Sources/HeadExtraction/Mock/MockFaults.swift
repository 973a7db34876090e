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

    /// Delay before every answer.
    public var latency: Duration {
        get { .milliseconds(latencyMilliseconds) }
        set {
            let (seconds, attoseconds) = newValue.components
            latencyMilliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        }
    }

    public static let defaultCredits = [
        CreditBalance(uniqueSign: "cutout_avatar_extraction", name: "Head Extraction", balance: 100, total: 100),
        CreditBalance(uniqueSign: "common", name: "Universal credits", balance: 1000, total: 1000),
    ]
}

/// One scripted answer of ``MockService``.
public struct ScriptedError: Codable, Sendable, Hashable {
    /// An `error_detail.code`, or a ``TransportError`` code when ``throwsTransportError`` is set.
    public var code: String
    /// The status to answer with; `nil` uses the code's current status from ``ErrorCodeTable``.
    public var status: Int?
    /// Sent as a `Retry-After` header, in seconds.
    public var retryAfterSeconds: Int?
    /// A verbatim body instead of the envelope, to simulate malformed answers.
    public var body: String?
    /// Throw `TransportError(code)` instead of answering.
    public var throwsTransportError: Bool

    public init(_ code: String, status: Int? = nil, retryAfterSeconds: Int? = nil, body: String? = nil, throwsTransportError: Bool = false) {
        self.code = code
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
        self.body = body
        self.throwsTransportError = throwsTransportError
    }

    /// A transfer failure such as `.timeout`, thrown instead of an answer.
    public static func transport(_ code: TransportError.Code) -> ScriptedError {
        ScriptedError(code.rawValue, throwsTransportError: true)
    }

    /// A body that is not the API's envelope, answered with `status`.
    public static func malformed(_ body: String, status: Int = 200) -> ScriptedError {
        ScriptedError(Envelope.malformedCode, status: status, body: body)
    }
}

/// A fault for one result download.
public enum DownloadFault: String, Codable, Sendable, Hashable, CaseIterable {
    /// The body ends early: throws `TransportError(.truncated)`.
    case truncated
    /// 404 with an object-store XML body.
    case missing
    /// 403 with an object-store XML `AccessDenied` body, as an expired URL answers.
    case expired
    /// A body larger than the limit: throws `TransportError(.tooLarge)`, no file.
    case oversized
}

/// What ``MockService`` has been asked so far.
public struct MockCounters: Codable, Sendable, Hashable {
    public var extractionCalls = 0
    public var downloads = 0
    public var creditsCalls = 0

    public init() {}
}
