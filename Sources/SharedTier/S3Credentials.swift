import AssetTransport
import Foundation

/// The key an ``S3BlobBucket`` signs its requests with.
///
/// ```swift
/// let credentials = try S3Credentials.fromEnvironment()   // AWS_ACCESS_KEY_ID, …
/// ```
///
/// - Important: The secret and the token never appear in ``description``, ``debugDescription``
///   or a mirror, and the type is not `Codable`.
public struct S3Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// A temporary session's token (`AWS_SESSION_TOKEN`).
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN`,
    /// as every S3 tool does. An empty value counts as unset.
    ///
    /// - Throws: ``SharedTierError`` of kind ``SharedTierError/Kind/configuration`` naming the
    ///   variable that is missing (never a value).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Credentials {
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        let id = value("AWS_ACCESS_KEY_ID")
        let secret = value("AWS_SECRET_ACCESS_KEY")
        switch (id, secret) {
        case (let id?, let secret?):
            return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        case (nil, nil):
            throw SharedTierError.configuration("The shared blob store needs credentials, and neither AWS_ACCESS_KEY_ID nor AWS_SECRET_ACCESS_KEY is set; set both (and AWS_SESSION_TOKEN for temporary credentials).")
        case (nil, _):
            throw SharedTierError.configuration("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set AWS_ACCESS_KEY_ID to the key's ID.")
        case (_, nil):
            throw SharedTierError.configuration("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set AWS_SECRET_ACCESS_KEY to the key's secret.")
        }
    }

    /// The values that must never be written anywhere.
    public var secrets: [String] { [secretAccessKey] + (sessionToken.map { [$0] } ?? []) }

    func signature(region: String) -> AWSSignature {
        AWSSignature(region: region, service: "s3", accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }

    public var description: String {
        "S3Credentials(key \(accessKeyID.prefix(4))…, secret <redacted>\(sessionToken == nil ? "" : ", token <redacted>"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyID": String(accessKeyID.prefix(4)) + "…", "secretAccessKey": "<redacted>"], displayStyle: .struct)
    }
}
