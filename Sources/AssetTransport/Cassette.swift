import Foundation

/// Recorded HTTP traffic, replayed offline by ``ReplayTransport``.
///
/// A cassette is a versioned JSON file. Binary bodies (uploaded file parts, downloaded
/// images, any body that is not UTF-8) are kept beside it, in `FILE.blobs/<sha256>`, and
/// named in the JSON by their SHA-256; text bodies are inline.
///
/// ```json
/// {"version": 1, "interactions": [{"kind": "send",
///   "request": {"method": "POST", "url": "https://…/avatar-extraction",
///               "headers": [{"name": "ailabapi-api-key", "value": "<redacted>"}],
///               "parts": [{"name": "image", "filename": "a.jpg", "contentType": "image/jpeg",
///                          "body": {"sha256": "9f86…", "size": 61306}}]},
///   "response": {"status": 200, "headers": […], "body": {"sha256": "…", "size": 312, "text": "{…}"}}}]}
/// ```
///
/// Requests match on method, URL path, multipart text fields and the SHA-256 of each file
/// part or body; host, port, boundary and headers are ignored.
public struct Cassette: Codable, Sendable, Hashable {
    /// The format version this build reads and writes.
    public static let currentVersion = 1
    /// The value written in place of a credential header.
    public static let redacted = "<redacted>"

    /// The format version of the file; see ``currentVersion``.
    public var version: Int
    /// The exchanges, in the order they were recorded.
    public var interactions: [Interaction]

    public init(version: Int = Cassette.currentVersion, interactions: [Interaction] = []) {
        self.version = version
        self.interactions = interactions
    }

    /// One request and its answer.
    public struct Interaction: Codable, Sendable, Hashable {
        /// Which ``Transport`` method made the exchange.
        public enum Kind: String, Codable, Sendable, Hashable {
            case send, download
        }

        /// Whether this was a `send` or a `download`.
        public var kind: Kind
        /// What was asked, with credential headers redacted.
        public var request: Request
        /// What the upstream answered.
        public var response: Response

        public init(kind: Kind, request: Request, response: Response) {
            self.kind = kind
            self.request = request
            self.response = response
        }
    }

    /// A body: its SHA-256 and size, with the text inline when it is UTF-8.
    public struct Body: Codable, Sendable, Hashable {
        /// The SHA-256 of the bytes, lowercase hex; also the blob's file name.
        public var sha256: String
        /// The length in bytes.
        public var size: Int
        /// The body itself; `nil` means it is the blob named ``sha256``.
        public var text: String?

        public init(sha256: String, size: Int, text: String? = nil) {
            self.sha256 = sha256
            self.size = size
            self.text = text
        }
    }

    /// One multipart part: a text field (`value`) or a file (`body`, always a blob).
    public struct Part: Codable, Sendable, Hashable {
        /// The form field name.
        public var name: String
        /// A text field's value.
        public var value: String?
        /// A file part's file name.
        public var filename: String?
        /// A file part's content type.
        public var contentType: String?
        /// A file part's bytes, as a blob.
        public var body: Body?

        public init(name: String, value: String? = nil, filename: String? = nil, contentType: String? = nil, body: Body? = nil) {
            self.name = name
            self.value = value
            self.filename = filename
            self.contentType = contentType
            self.body = body
        }
    }

    /// A recorded request. Only its method, URL path, text fields and body hashes are matched.
    public struct Request: Codable, Sendable, Hashable {
        /// The HTTP method, uppercase.
        public var method: String
        /// The full URL as sent; replay matches only its path.
        public var url: String
        /// Credential headers carry ``Cassette/redacted`` instead of their value.
        public var headers: [HTTPHeader]
        /// A `.bytes` or `.file` body.
        public var body: Body?
        /// A multipart body.
        public var parts: [Part]?

        public init(method: String, url: String, headers: [HTTPHeader] = [], body: Body? = nil, parts: [Part]? = nil) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.parts = parts
        }
    }

    /// A recorded response.
    public struct Response: Codable, Sendable, Hashable {
        /// The HTTP status.
        public var status: Int
        /// The response headers, as received.
        public var headers: [HTTPHeader]
        /// The body of a `send`, or the error body of a download that was not 2xx.
        public var body: Body
        /// The file of a 2xx download, always a blob.
        public var file: Body?

        public init(status: Int, headers: [HTTPHeader], body: Body, file: Body? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.file = file
        }
    }
}

extension Cassette {
    /// The folder that holds the blobs of the cassette at `url`: `FILE.blobs`.
    public static func blobsFolder(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(url.lastPathComponent + ".blobs", isDirectory: true)
    }

    /// Reads the cassette at `url`.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/cassette`` when the file
    ///   is missing, unreadable, or of another format version.
    public static func load(from url: URL) throws -> Cassette {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TransportError(.cassette, "Cassette \(url.path) cannot be read; check the path, or record it first with the API key set.")
        }
        struct Versioned: Decodable { var version: Int }
        guard let version = try? JSONDecoder().decode(Versioned.self, from: data).version else {
            throw TransportError(.cassette, "Cassette \(url.path) is not a cassette JSON file; record it again from scratch.")
        }
        guard version == currentVersion else {
            throw TransportError(.cassette, "Cassette \(url.path) has format version \(version) but this build reads version \(currentVersion); record it again from scratch.")
        }
        do {
            return try JSONDecoder().decode(Cassette.self, from: data)
        } catch {
            throw TransportError(.cassette, "Cassette \(url.path) is damaged (\(error)); record it again from scratch.")
        }
    }

    /// The JSON written to disk: sorted keys and pretty printing, so re-recordings diff well.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
