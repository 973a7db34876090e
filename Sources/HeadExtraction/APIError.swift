import Foundation

/// How a failure behaves: whether trying again can help, and whether the answer may be cached.
public enum ErrorClass: String, Sendable, Hashable, Codable, CaseIterable {
    /// Worth retrying: rate limits, 5xx, timeouts, connection errors, malformed bodies.
    case transient
    /// Out of credits: never retried.
    case credits
    /// The key is wrong, unknown or locked: never retried.
    case auth
    /// The input or the parameters are not acceptable: never retried.
    case input
    /// Deterministic for these bytes (no face, undecodable): cached as a negative result.
    case content
    /// A bug, or the store cannot be written: never retried.
    case `internal`
}

/// A failure as the user sees it: a stable code, its class, one sentence, and the API's request id.
///
/// `code` is the API's `error_detail.code` where there is one, else a stable code of this
/// project's own (`TRANSPORT_TIMEOUT`, `DOWNLOAD_TOO_LARGE`, `REPLAY_MISS`, …).
/// - Important: `message` never contains the API key.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var errorClass: ErrorClass
    public var message: String
    /// The API's `request_id`, where the API answered.
    public var requestID: String?
    /// The HTTP status the API answered with, or the status to serve this error with.
    public var httpStatus: Int?
    /// A `Retry-After` the server sent with this failure.
    public var retryAfter: Duration?

    public init(code: String, errorClass: ErrorClass, message: String, requestID: String? = nil, httpStatus: Int? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.errorClass = errorClass
        self.message = message
        self.requestID = requestID
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
    }

    public var description: String { message }
}
