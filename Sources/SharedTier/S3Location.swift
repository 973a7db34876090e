import AssetStore
import AssetTransport
import Foundation

/// Where the shared blobs live: a bucket, a key prefix, a region and, for an S3-compatible
/// server other than AWS, its endpoint.
///
/// ```swift
/// let aws = try S3Location(parsing: "s3://team-assets/blobs?region=eu-west-1")
/// let minio = try S3Location(parsing: "s3://assets/v1?endpoint=http://127.0.0.1:9000")
/// aws.key(for: hash)   // "blobs/ab/ab12…"
/// ```
///
/// Without an endpoint, objects are addressed on AWS itself: virtual-host style
/// (`https://BUCKET.s3.REGION.amazonaws.com/KEY`), or path style for a bucket name with a dot,
/// which a wildcard certificate would not cover. With an endpoint, always path style
/// (`ENDPOINT/BUCKET/KEY`), as MinIO, Ceph and moto expect.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public let bucket: String
    /// The key prefix without leading or trailing `/`; empty puts blobs at the bucket's root.
    public let prefix: String
    public let region: String
    /// The S3-compatible server, or `nil` for AWS.
    public let endpoint: URL?

    /// The region used when the URL names none.
    public static let defaultRegion = "us-east-1"

    /// - Throws: ``SharedTierError`` of kind ``SharedTierError/Kind/configuration`` for a
    ///   bucket, prefix, region or endpoint S3 would not accept.
    public init(bucket: String, prefix: String = "", region: String = S3Location.defaultRegion, endpoint: URL? = nil) throws {
        try Self.checkBucket(bucket)
        let prefix = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        try Self.checkPrefix(prefix)
        try Self.checkRegion(region)
        if let endpoint { try Self.checkEndpoint(endpoint) }
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.endpoint = endpoint.map(Self.trimmed)
    }

    /// Parses `s3://BUCKET/PREFIX?endpoint=URL&region=REGION` (both parameters optional).
    ///
    /// - Throws: ``SharedTierError`` of kind ``SharedTierError/Kind/configuration``, one
    ///   sentence that says what is wrong and what to write instead. It never repeats the URL,
    ///   which might hold a credential someone pasted into it.
    ///
    /// - Parameter defaultRegion: the region when the URL names none (the environment's
    ///   `AWS_REGION`, as AWS's own tools read it, or ``defaultRegion``).
    public init(parsing text: String, defaultRegion: String = S3Location.defaultRegion) throws {
        let example = "such as s3://BUCKET/PREFIX?region=REGION or s3://BUCKET/PREFIX?endpoint=http://HOST:PORT"
        guard let components = URLComponents(string: text.trimmingCharacters(in: .whitespacesAndNewlines)), components.scheme != nil else {
            throw SharedTierError.configuration("The shared blob store must be an s3:// URL, \(example); check ASSETS_SHARED_BLOBS.")
        }
        guard components.scheme?.lowercased() == "s3" else {
            throw SharedTierError.configuration("The shared blob store must be an s3:// URL, not \(components.scheme ?? "")://, \(example); check ASSETS_SHARED_BLOBS.")
        }
        guard components.percentEncodedUser == nil, components.percentEncodedPassword == nil else {
            throw SharedTierError.configuration("The s3:// URL must not hold credentials; remove them from it and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead.")
        }
        guard components.port == nil else {
            throw SharedTierError.configuration("An s3:// URL names a bucket, not a server, so it takes no port; give the server as ?endpoint=http://HOST:PORT instead.")
        }
        guard components.fragment == nil else {
            throw SharedTierError.configuration("The s3:// URL must not have a #fragment; remove it.")
        }
        guard let bucket = components.percentEncodedHost, !bucket.isEmpty else {
            throw SharedTierError.configuration("The s3:// URL names no bucket; write it as s3://BUCKET/PREFIX.")
        }
        var endpoint: URL?
        var region: String?
        var seen: Set<String> = []
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else {
                throw SharedTierError.configuration("The s3:// URL gives \(item.name) twice; keep one.")
            }
            let value = item.value ?? ""
            switch item.name {
            case "endpoint":
                guard let url = URL(string: value), !value.isEmpty else {
                    throw SharedTierError.configuration("The endpoint in the s3:// URL is not a URL; give it as ?endpoint=http://HOST:PORT or https://HOST.")
                }
                endpoint = url
            case "region":
                region = value
            default:
                throw SharedTierError.configuration("The s3:// URL has a parameter \(item.name.debugDescription) that is not understood; only endpoint and region are.")
            }
        }
        guard !components.percentEncodedPath.contains("%") else {
            throw SharedTierError.configuration("The prefix in the s3:// URL may only hold letters, digits, '-', '_', '.' and '/'; rename it.")
        }
        try self.init(bucket: bucket, prefix: components.path, region: region ?? defaultRegion, endpoint: endpoint)
    }

    /// `PREFIX/ab/<sha256>`, where `ab` is the first two hex digits: the object's key.
    public func key(for hash: ContentHash) -> String {
        let hex = hash.hex
        return keyPrefix + hex.prefix(2) + "/" + hex
    }

    /// The content hash of a key this location's ``key(for:)`` makes, or `nil` for any other.
    public func hash(ofKey key: String) -> ContentHash? {
        guard key.hasPrefix(keyPrefix) else { return nil }
        let rest = key.dropFirst(keyPrefix.count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 64, parts[1].hasPrefix(parts[0]),
              parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
              let hash = ContentHash(hex: String(parts[1])) else { return nil }
        return hash
    }

    /// `PREFIX/`, or nothing at the bucket's root: what every blob key starts with.
    public var keyPrefix: String { prefix.isEmpty ? "" : prefix + "/" }

    /// The URL of the object named `key`.
    func objectURL(key: String) -> URL {
        let path = key.split(separator: "/", omittingEmptySubsequences: false).map { AWSSignature.encode(String($0)) }.joined(separator: "/")
        return URL(string: bucketBase + "/" + path)!
    }

    /// The URL of the bucket itself with a query already in canonical form.
    func bucketURL(query: String) -> URL {
        URL(string: bucketBase + "/?" + query)!
    }

    /// The bucket's URL without a trailing `/`.
    private var bucketBase: String {
        if let endpoint { return endpoint.absoluteString + "/" + bucket }
        if bucket.contains(".") { return "https://s3.\(region).amazonaws.com/\(bucket)" }
        return "https://\(bucket).s3.\(region).amazonaws.com"
    }

    /// The host requests go to, for messages.
    var host: String { URL(string: bucketBase)?.host ?? bucket }

    public var description: String {
        var text = "s3://\(bucket)/\(prefix)"
        var query: [String] = []
        if let endpoint { query.append("endpoint=\(endpoint.absoluteString)") }
        if region != Self.defaultRegion || endpoint == nil { query.append("region=\(region)") }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    private static func checkBucket(_ bucket: String) throws {
        let allowed = bucket.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        let edges = bucket.first.map { $0.isLetter || $0.isNumber } == true && bucket.last.map { $0.isLetter || $0.isNumber } == true
        guard (3...63).contains(bucket.utf8.count), allowed, edges, !bucket.contains("..") else {
            throw SharedTierError.configuration("The bucket name \(bucket.debugDescription) is not valid; use 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.")
        }
    }

    private static func checkPrefix(_ prefix: String) throws {
        guard !prefix.isEmpty else { return }
        let allowed = prefix.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/")].contains(byte)
        }
        let segments = prefix.split(separator: "/", omittingEmptySubsequences: false)
        guard allowed, !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }), prefix.utf8.count <= 512 else {
            throw SharedTierError.configuration("The prefix \(prefix.debugDescription) is not valid; use letters, digits, '-', '_' and '.' in segments separated by single '/'.")
        }
    }

    private static func checkRegion(_ region: String) throws {
        let allowed = region.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        }
        guard !region.isEmpty, region.utf8.count <= 32, allowed else {
            throw SharedTierError.configuration("The region \(region.debugDescription) is not valid; use an S3 region such as us-east-1 or eu-west-1.")
        }
    }

    private static func checkEndpoint(_ endpoint: URL) throws {
        guard let components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty else {
            throw SharedTierError.configuration("The endpoint must be an http:// or https:// URL with a host, such as http://127.0.0.1:9000; fix the endpoint parameter.")
        }
        guard components.percentEncodedUser == nil, components.percentEncodedPassword == nil else {
            throw SharedTierError.configuration("The endpoint must not hold credentials; remove them and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead.")
        }
        guard components.query == nil, components.fragment == nil, components.path.isEmpty || components.path == "/" else {
            throw SharedTierError.configuration("The endpoint must be only a scheme, a host and a port, such as http://127.0.0.1:9000; remove its path or query.")
        }
    }

    private static func trimmed(_ endpoint: URL) -> URL {
        var text = endpoint.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text)!
    }
}
