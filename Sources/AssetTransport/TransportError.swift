import Foundation

/// A transfer that produced no usable HTTP response.
///
/// `code` is a stable UPPER_SNAKE_CASE identifier (`TRANSPORT_TIMEOUT`, `DOWNLOAD_TOO_LARGE`, …),
/// `curlCode` the libcurl `CURLcode` when libcurl reported one, and `message` one sentence
/// that says what happened and what to do. Messages never contain credentials.
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The connect or total timeout ran out.
        public static let timeout = Code(rawValue: "TRANSPORT_TIMEOUT")
        /// DNS, connection refused or reset, TLS failure.
        public static let connection = Code(rawValue: "TRANSPORT_CONNECTION")
        /// A scheme other than http/https, or plain http to a non-loopback host.
        public static let schemeRefused = Code(rawValue: "TRANSPORT_SCHEME_REFUSED")
        /// A download body larger than its limit.
        public static let tooLarge = Code(rawValue: "DOWNLOAD_TOO_LARGE")
        /// A body shorter or longer than its `Content-Length`.
        public static let truncated = Code(rawValue: "DOWNLOAD_TRUNCATED")
        /// A local file could not be read or written.
        public static let localFile = Code(rawValue: "TRANSPORT_LOCAL_FILE")
        /// A replayed request that the cassette does not hold.
        public static let replayMiss = Code(rawValue: "REPLAY_MISS")
        /// A cassette that cannot be read or written.
        public static let cassette = Code(rawValue: "CASSETTE_ERROR")
        /// Any other transfer failure.
        public static let other = Code(rawValue: "TRANSPORT_ERROR")
    }

    public var code: Code
    /// libcurl's `CURLcode`, where libcurl reported the failure.
    public var curlCode: Int?
    public var message: String

    public init(_ code: Code, curlCode: Int? = nil, _ message: String) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
    }

    /// Whether the same request may succeed if tried again.
    public var isTransient: Bool {
        switch code {
        case .timeout, .connection, .truncated, .other: true
        default: false
        }
    }

    public var description: String { message }
}
