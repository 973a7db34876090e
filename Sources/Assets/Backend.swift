import AssetTransport
import Foundation
import HeadExtraction

/// A way to reach the API: a transport, the base URL to send to, and the cache namespace its
/// answers live in.
public struct Backend: Sendable {
    public var name: String
    public var transport: any Transport
    public var baseURL: URL
    /// Answers from different namespaces never answer each other's requests: mock results
    /// (`mock`) never answer a real request (`ailabtools`).
    public var namespace: String
    /// The key sent upstream, if this backend talks to the real API.
    public var apiKey: String?
    /// Whether a call without a key is refused before it is made (the mock and replay need none).
    public var requiresKey: Bool

    public init(name: String, transport: any Transport, baseURL: URL, namespace: String, apiKey: String? = nil, requiresKey: Bool = true) {
        self.name = name
        self.transport = transport
        self.baseURL = baseURL
        self.namespace = namespace
        self.apiKey = apiKey
        self.requiresKey = requiresKey
    }

    /// The namespace of answers from the real AILabTools API (remote, record and replay).
    public static let realNamespace = "ailabtools"
}

/// What a backend factory may use: flags and environment, already resolved.
public struct BackendConfiguration: Sendable {
    public var apiBase: URL
    /// The API key; never written anywhere.
    public var apiKey: String?
    public var cassette: URL?
    public var recordMode: RecordMode?
    public var transport: TransportConfiguration

    public init(apiBase: URL = HeadExtractionAPI.defaultBaseURL, apiKey: String? = nil, cassette: URL? = nil, recordMode: RecordMode? = nil, transport: TransportConfiguration = TransportConfiguration()) {
        self.apiBase = apiBase
        self.apiKey = apiKey
        self.cassette = cassette
        self.recordMode = recordMode
        self.transport = transport
    }
}

/// Why a backend cannot be made from this configuration, as one sentence.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is missing, so a front end (the CLI) can add its own way to give it.
    public enum Kind: Sendable, Hashable {
        /// The backend needs an API key and has none.
        case missingAPIKey
        /// The backend needs a cassette file and has none.
        case missingCassette
        /// The backend cannot run in the record mode asked for.
        case recordModeRefused
        /// Anything else.
        case other
    }

    public var kind: Kind
    public var message: String
    public init(_ message: String, kind: Kind = .other) {
        self.message = message
        self.kind = kind
    }
    public var description: String { message }
}
