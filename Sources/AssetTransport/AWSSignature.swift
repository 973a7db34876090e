import Foundation

/// Credentials and scope for signing a request with AWS Signature Version 4.
///
/// ```swift
/// var request = HTTPRequest(method: "GET", url: objectURL)
/// request.signature = AWSSignature(region: "eu-west-1", accessKeyID: id, secretAccessKey: secret)
/// let response = try await CurlTransport().send(request)
/// ```
///
/// ``CurlTransport`` signs through libcurl's `CURLOPT_AWS_SIGV4` (`aws:amz:REGION:SERVICE`),
/// with the access key as the user and the secret as the password. It also sends the
/// `x-amz-content-sha256` header (libcurl 7.88.1 does not, and signs an upload as if it were
/// empty unless that header is there) and `x-amz-security-token` for a session token. Neither
/// header, nor the signature, is ever part of ``HTTPRequest/headers``, so a recording transport
/// never sees them.
///
/// - Important: The secret and the token never appear in ``description``, ``debugDescription``
///   or a mirror (`dump`); the type is not `Codable`, so it cannot be written to disk by accident.
public struct AWSSignature: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The region of the scope, such as `us-east-1`.
    public var region: String
    /// The service of the scope: `s3` for a bucket.
    public var service: String
    public var accessKeyID: String
    public var secretAccessKey: String
    /// A temporary session's token, sent as `x-amz-security-token`.
    public var sessionToken: String?

    public init(region: String, service: String = "s3", accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.region = region
        self.service = service
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The values that must never be written anywhere: the secret and the token.
    public var secrets: [String] {
        [secretAccessKey] + (sessionToken.map { [$0] } ?? [])
    }

    /// libcurl's `CURLOPT_AWS_SIGV4` provider string.
    var curlProvider: String { "aws:amz:\(region):\(service)" }

    /// The access key's first four characters only: enough to tell keys apart in a log.
    private var maskedKeyID: String { String(accessKeyID.prefix(4)) + "…" }

    public var description: String {
        "AWSSignature(\(service), \(region), key \(maskedKeyID), secret <redacted>\(sessionToken == nil ? "" : ", token <redacted>"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["region": region, "service": service, "accessKeyID": maskedKeyID, "secretAccessKey": "<redacted>"], displayStyle: .struct)
    }
}

extension AWSSignature {
    /// The SHA-256 of an empty payload, the `x-amz-content-sha256` of a GET, HEAD or DELETE.
    public static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The `x-amz-content-sha256` value for `body`.
    ///
    /// - Throws: ``TransportError`` for a multipart body (not signed here) or an unreadable file.
    static func payloadSHA256(of body: HTTPRequest.Body) throws -> String {
        switch body {
        case .empty: return emptyPayloadSHA256
        case .bytes(let data): return SHA256Hex.of(data)
        case .file(let url): return try SHA256Hex.ofFile(at: url)
        case .multipart:
            throw TransportError(.other, "A signed request cannot have a multipart body; send the bytes as the body instead.")
        }
    }

    /// Throws unless `url`'s query is one libcurl 7.88.1 signs correctly: it signs the query as
    /// written, so the names must already be sorted and every byte outside `A-Za-z0-9-_.~`
    /// percent-encoded (upper-case hex), as the canonical request has them.
    static func checkCanonicalQuery(of url: URL) throws {
        guard let query = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery, !query.isEmpty else { return }
        let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map(String.init)
        let names = pairs.map { $0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "" }
        let canonical = pairs.allSatisfy { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return !parts[0].isEmpty && parts.allSatisfy(isCanonicallyEncoded)
        }
        guard canonical, names == names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) else {
            throw TransportError(.other, "A signed request's query must be sorted by name and percent-encoded as AWS canonicalizes it; build it with AWSSignature.canonicalQuery.")
        }
    }

    /// A query string as AWS canonicalizes it: sorted by name, every byte outside
    /// `A-Za-z0-9-_.~` percent-encoded.
    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        items.map { (encode($0.name), encode($0.value)) }
            .sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// `text` with every byte outside `A-Za-z0-9-_.~` percent-encoded (upper-case hex).
    public static func encode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if isUnreserved(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func isCanonicallyEncoded(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count else { return false }
                let hex = bytes[(index + 1)...(index + 2)]
                guard hex.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }) else { return false }
                index += 3
            } else {
                guard isUnreserved(bytes[index]) else { return false }
                index += 1
            }
        }
        return true
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
