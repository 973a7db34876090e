import AssetStore
import AssetTransport
import Foundation

/// Content-addressed blobs in an S3 bucket: the blob half of the shared tier.
///
/// ```swift
/// let bucket = S3BlobBucket(
///     location: try S3Location(parsing: "s3://team-assets/blobs?region=eu-west-1"),
///     credentials: try S3Credentials.fromEnvironment()
/// )
/// try await bucket.put(sha256: hash, data: png)        // PREFIX/ab/<sha256>, If-None-Match: *
/// let bytes = try await bucket.get(sha256: hash)       // re-hashed; nil when absent
/// ```
///
/// Every object is named by the SHA-256 of its bytes. A put checks the bytes against the name
/// before it sends them, and uploads with `If-None-Match: *`, so an object is written once and
/// never replaced; `412` (already there) is success. A get hashes what it read and throws
/// ``SharedTierError/Kind/corrupt`` rather than return bytes that do not match their name.
///
/// Requests are signed with SigV4 through ``CurlTransport`` and run on its transfer threads,
/// never on Swift's cooperative pool. Each has a connect and a total timeout
/// (``Options``); transient failures are tried again under ``Options/retry``.
///
/// - Throws: ``SharedTierError`` from every call: ``SharedTierError/Kind/transient`` (5xx,
///   throttling, timeouts, refused connections), ``SharedTierError/Kind/configuration`` (a
///   bad signature or key, no permission, no such bucket, the wrong region), or
///   ``SharedTierError/Kind/corrupt``. No message holds the secret key or the token.
/// - Important: `Sendable`; one bucket is shared by every task of a process.
public final class S3BlobBucket: Sendable {
    public let location: S3Location
    public let options: Options
    let signature: AWSSignature
    private let transport: any Transport

    /// A bucket reached over libcurl.
    public convenience init(location: S3Location, credentials: S3Credentials, options: Options = Options()) {
        let transport = CurlTransport(configuration: options.transportConfiguration, maxConcurrentTransfers: options.maxConcurrentTransfers)
        self.init(location: location, credentials: credentials, options: options, transport: transport)
    }

    /// A bucket reached through `transport`; only ``CurlTransport`` signs requests.
    public init(location: S3Location, credentials: S3Credentials, options: Options, transport: any Transport) {
        self.location = location
        self.options = options
        self.signature = credentials.signature(region: location.region)
        self.transport = transport
    }

    /// Uploads `data` as the object named by `sha256`, unless an object of that name exists.
    ///
    /// - Throws: ``SharedTierError/Kind/invalidArgument`` when `data` does not hash to
    ///   `sha256` (nothing is sent), or a transient or configuration error.
    @discardableResult
    public func put(sha256: ContentHash, data: Data) async throws -> PutOutcome {
        let actual = ContentHash.of(data)
        guard actual == sha256 else {
            throw SharedTierError(.invalidArgument, code: SharedTierError.mismatchCode, "Refused to upload \(data.count) bytes as blob \(sha256.hex): they hash to \(actual.hex); this is a bug in the caller.")
        }
        let key = location.key(for: sha256)
        let response = try await send(
            "PUT", location.objectURL(key: key), body: .bytes(data),
            headers: [HTTPHeader("Content-Type", "application/octet-stream"), HTTPHeader("If-None-Match", "*")],
            doing: "upload \(key)"
        ) { status, _ in [200, 201, 412].contains(status) }
        return response.status == 412 ? .alreadyPresent : .stored
    }

    /// The bytes of the object named by `sha256`, or `nil` when there is none.
    ///
    /// - Throws: ``SharedTierError/Kind/corrupt`` when the bytes read do not hash to `sha256`
    ///   (they are dropped, never returned), or a transient or configuration error.
    public func get(sha256: ContentHash) async throws -> Data? {
        let key = location.key(for: sha256)
        let response = try await send("GET", location.objectURL(key: key), doing: "read \(key)") { status, body in
            status == 200 || (status == 404 && Self.s3Code(body) != "NoSuchBucket")
        }
        guard response.status == 200 else { return nil }
        let actual = ContentHash.of(response.body)
        guard actual == sha256 else {
            throw SharedTierError(
                .corrupt, code: SharedTierError.corruptCode,
                "The object \(key) in bucket \(location.bucket) does not match its name (its \(response.body.count) bytes hash to \(actual.hex)), so it was refused; delete it, and the next upload of the blob will replace it.",
                status: response.status
            )
        }
        return response.body
    }

    /// Whether an object named by `sha256` exists (a `HEAD`; its bytes are not checked).
    public func exists(sha256: ContentHash) async throws -> Bool {
        let key = location.key(for: sha256)
        let response = try await send("HEAD", location.objectURL(key: key), doing: "look up \(key)") { status, _ in
            status == 200 || status == 404
        }
        return response.status == 200
    }

    /// Removes the object named by `sha256`; removing an absent object is not an error.
    public func delete(sha256: ContentHash) async throws {
        let key = location.key(for: sha256)
        _ = try await send("DELETE", location.objectURL(key: key), doing: "delete \(key)") { status, _ in
            [200, 204, 404].contains(status)
        }
    }

    /// Sends one signed request, trying transient failures again, and returns the response
    /// once `accept` takes it; any other response becomes a ``SharedTierError``.
    func send(
        _ method: String, _ url: URL, body: HTTPRequest.Body = .empty, headers: [HTTPHeader] = [], doing action: String,
        accept: @escaping @Sendable (_ status: Int, _ body: Data) -> Bool
    ) async throws -> HTTPResponse {
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body, timeout: options.requestTimeout, signature: signature)
        return try await options.retry.run(classify: { error in
            (error as? SharedTierError)?.isTransient == true ? .retry(retryAfter: nil) : .fail
        }) { _ in
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch let error as TransportError {
                throw classify(error, doing: action)
            }
            guard accept(response.status, response.body) else { throw classify(response, doing: action) }
            return response
        }
    }
}
