import AssetStore
import Foundation
import HeadExtraction

/// What answers an extraction: the AILabTools API, the mock, an external plugin, or an engine
/// of a Swift app's own.
///
/// ```swift
/// let manager = AssetManager(store: store, engine: try registry.makeEngine("local", configuration: configuration))
/// ```
///
/// An engine is told what to extract (the probed upload and the options) and answers with the
/// heads: each a PNG (a file the manager stores, or a URL it downloads at once) and its box.
/// ``AssetManager`` does everything around it: the cache, single-flight, the call limit from
/// ``EngineLimits/maxConcurrentCalls``, storing and checking results. An engine's
/// ``EngineIdentity/namespace`` goes into every action key, so answers from one engine never
/// answer another's requests.
public protocol ExtractionEngine: Sendable {
    /// Who answers; its namespace keys the cache.
    var identity: EngineIdentity { get }
    /// What the engine accepts and how many calls it takes at once.
    var limits: EngineLimits { get }
    /// The key sent upstream, if any: it is redacted from everything stored.
    var secret: String? { get }

    /// One extraction, with the engine's own retries of transient failures.
    ///
    /// - Throws: `APIError`; a `content` error is cached as a negative result.
    func extract(_ request: EngineRequest) async throws(APIError) -> EngineAnswer

    /// Downloads a result an answer gave as ``EngineResult/url(_:)`` into `destination`.
    func download(_ url: URL, to destination: URL, limit: Int64) async throws(APIError)

    /// The account's credit balances, for an engine that spends credits.
    ///
    /// - Throws: `APIError`; by default `NO_CREDITS` (class `input`): the engine uses none.
    func credits() async throws(APIError) -> [CreditBalance]

    /// Stops whatever the engine keeps running (a plugin's process). Called when its manager is
    /// done; the engine may be used again afterwards, starting anew.
    func shutdown() async
}

extension ExtractionEngine {
    public var secret: String? { nil }

    public func download(_ url: URL, to destination: URL, limit: Int64) async throws(APIError) {
        throw APIError(code: "INTERNAL_ERROR", errorClass: .internal, message: "The \(identity.name) engine gives no result URLs to download.")
    }

    public func credits() async throws(APIError) -> [CreditBalance] {
        throw APIError(code: "NO_CREDITS", errorClass: .input, message: "The \(identity.name) backend uses no credits; only the API (remote, record, replay) and the mock have a balance.")
    }

    public func shutdown() async {}
}

/// An engine's name, release and cache namespace.
public struct EngineIdentity: Sendable, Hashable {
    /// The backend name it is picked by (`remote`, `mock`, `local`).
    public var name: String
    /// Its release, if it has one.
    public var version: String?
    /// What computes the answers (a model's name), if known.
    public var engineID: String?
    /// The cache namespace: `ailabtools` for the API, `mock`, `plugin:NAME:VERSION:SHA256`.
    public var namespace: String

    public init(name: String, version: String? = nil, engineID: String? = nil, namespace: String) {
        self.name = name
        self.version = version
        self.engineID = engineID
        self.namespace = namespace
    }
}

/// What an engine accepts, and how many calls it takes at once.
public struct EngineLimits: Sendable, Hashable {
    /// The formats it reads.
    public var formats: Set<ImageFormat>
    /// The largest file, in bytes, if there is a limit.
    public var maxBytes: Int?
    /// The smallest side allowed, in pixels (33 for the API).
    public var minSide: Int
    /// The largest side, in pixels, if there is a limit.
    public var maxSide: Int?
    /// The most pixels, if there is a limit.
    public var maxPixels: Int?
    /// How many calls it takes at once; the manager never runs more.
    public var maxConcurrentCalls: Int

    public init(formats: Set<ImageFormat>, maxBytes: Int?, minSide: Int, maxSide: Int?, maxPixels: Int? = nil, maxConcurrentCalls: Int) {
        self.formats = formats
        self.maxBytes = maxBytes
        self.minSide = minSide
        self.maxSide = maxSide
        self.maxPixels = maxPixels
        self.maxConcurrentCalls = max(1, maxConcurrentCalls)
    }

    /// These limits as `ImageProbe` checks them, naming `accepter` in its messages.
    public func probeLimits(accepter: String) -> ImageProbe.Limits {
        ImageProbe.Limits(formats: formats, maxBytes: maxBytes, minSide: minSide, maxSide: maxSide, maxPixels: maxPixels, accepter: accepter)
    }

    /// The AILabTools API's: JPEG, PNG or BMP, at most 3 MiB, each side 33 to 1999 px.
    public static let api = EngineLimits(formats: [.jpeg, .png, .bmp], maxBytes: 3_145_728, minSide: 33, maxSide: 1999, maxConcurrentCalls: 16)
}

/// One upload for an engine: bytes already probed and hashed.
public struct EngineRequest: Sendable {
    public var bytes: Data
    /// SHA-256 of `bytes`.
    public var sha256: ContentHash
    /// What `ImageProbe` read from the bytes: format and pixel size.
    public var probe: ProbedImage
    /// The name the photo goes by in messages.
    public var name: String
    public var options: APIOptions
    /// The longest the call may take (the API's call timeout, a plugin's `deadline_ms`).
    public var timeout: Duration
    /// Told of each retry of a transient failure.
    public var onRetry: @Sendable () -> Void

    public init(bytes: Data, sha256: ContentHash, probe: ProbedImage, name: String, options: APIOptions, timeout: Duration, onRetry: @escaping @Sendable () -> Void = {}) {
        self.bytes = bytes
        self.sha256 = sha256
        self.probe = probe
        self.name = name
        self.options = options
        self.timeout = timeout
        self.onRetry = onRetry
    }
}

/// An engine's answer: one element per head.
public struct EngineAnswer: Sendable {
    /// The vendor's ids, if any.
    public var requestID: String?
    public var logID: String?
    /// The answer as received, kept as a blob (the API's JSON), if any.
    public var rawBody: Data?
    public var elements: [EngineElement]
    /// A folder of the engine's that holds the result files; the manager removes it once they
    /// are stored.
    public var scratch: URL?

    public init(requestID: String? = nil, logID: String? = nil, rawBody: Data? = nil, elements: [EngineElement], scratch: URL? = nil) {
        self.requestID = requestID
        self.logID = logID
        self.rawBody = rawBody
        self.elements = elements
        self.scratch = scratch
    }
}

/// One head: its PNG and its box in the photo.
public struct EngineElement: Sendable, Hashable {
    public var result: EngineResult
    public var width: Int
    public var height: Int
    public var x: Int
    public var y: Int

    public init(result: EngineResult, width: Int, height: Int, x: Int, y: Int) {
        self.result = result
        self.width = width
        self.height = height
        self.x = x
        self.y = y
    }
}

/// Where a head's PNG is.
public enum EngineResult: Sendable, Hashable {
    /// To be downloaded at once (the API's result URLs die in 24 hours).
    case url(URL)
    /// A file the manager checks and moves into the store.
    case file(URL)
    /// The PNG itself, from an engine in this process; checked and stored like a file.
    case png(Data)
}
