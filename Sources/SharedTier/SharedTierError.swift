import Foundation

/// A failure of the shared tier, classified so that a caller knows whether to try again.
///
/// `code` is a stable UPPER_SNAKE_CASE identifier, `message` one sentence that says what
/// happened and what to do. Where S3 answered, `status`, `s3Code` (such as
/// `SignatureDoesNotMatch`) and `requestID` say what it answered. No field ever holds a
/// secret key or a session token.
public struct SharedTierError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// Worth another try later: 5xx, throttling, timeouts, refused or reset connections.
        case transient
        /// Will fail again until a person changes something: the URL, the credentials, the
        /// bucket, its permissions or region.
        case configuration
        /// An object whose bytes do not match its name; it was refused, never used.
        case corrupt
        /// A caller's mistake, such as bytes that do not hash to the name they are put under.
        case invalidArgument
    }

    public var kind: Kind
    public var code: String
    public var message: String
    /// The HTTP status S3 answered with, where it answered.
    public var status: Int?
    /// S3's own error code, such as `SignatureDoesNotMatch` or `NoSuchBucket`.
    public var s3Code: String?
    /// S3's request ID, for a support ticket.
    public var requestID: String?

    public init(_ kind: Kind, code: String, _ message: String, status: Int? = nil, s3Code: String? = nil, requestID: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.status = status
        self.s3Code = s3Code
        self.requestID = requestID
    }

    /// Whether the same call may succeed if tried again.
    public var isTransient: Bool { kind == .transient }

    public var description: String { message }

    /// The tier cannot be reached or is overloaded.
    public static let unavailableCode = "SHARED_TIER_UNAVAILABLE"
    /// The URL, the credentials, the bucket or its permissions are wrong.
    public static let configurationCode = "SHARED_TIER_CONFIGURATION"
    /// An object in the bucket does not match its name.
    public static let corruptCode = "SHARED_BLOB_CORRUPT"
    /// Bytes put under a name they do not hash to.
    public static let mismatchCode = "SHARED_BLOB_MISMATCH"

    static func configuration(_ message: String) -> SharedTierError {
        SharedTierError(.configuration, code: configurationCode, message)
    }
}
