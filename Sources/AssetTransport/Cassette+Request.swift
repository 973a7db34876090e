import Foundation

extension Cassette.Body {
    /// Describes `data`, inline when `inline` allows it and the bytes are UTF-8 text.
    static func of(_ data: Data, inline: Bool) -> Cassette.Body {
        let text = inline ? String(data: data, encoding: .utf8) : nil
        return Cassette.Body(sha256: SHA256Hex.of(data), size: data.count, text: text)
    }
}

extension Cassette.Request {
    /// Headers recorded as ``Cassette/redacted`` whatever the caller says: HTTP's own
    /// credentials. A vendor's key header is the caller's to name (`redactHeaders`).
    static let alwaysRedacted: Set<String> = ["authorization", "proxy-authorization", "cookie", "x-amz-security-token"]

    /// Describes `request` for matching only: file bodies are hashed as streams, not kept.
    static func describing(_ request: HTTPRequest) throws -> Cassette.Request {
        var ignored: [String: Data] = [:]
        return try make(request, redacting: [], blobs: &ignored, keepBlobs: false)
    }

    /// Describes `request` for recording, and returns the blobs its binary bodies need.
    static func recording(_ request: HTTPRequest, redacting: Set<String>) throws -> (Cassette.Request, blobs: [String: Data]) {
        var blobs: [String: Data] = [:]
        let described = try make(request, redacting: redacting, blobs: &blobs, keepBlobs: true)
        return (described, blobs)
    }

    private static func make(_ request: HTTPRequest, redacting: Set<String>, blobs: inout [String: Data], keepBlobs: Bool) throws -> Cassette.Request {
        let redacted = alwaysRedacted.union(redacting.map { $0.lowercased() })
        let headers = request.headers.map { header in
            redacted.contains(header.name.lowercased()) ? HTTPHeader(header.name, Cassette.redacted) : header
        }
        var described = Cassette.Request(method: request.method.uppercased(), url: request.url.absoluteString, headers: headers)

        func binary(_ data: Data) -> Cassette.Body {
            let body = Cassette.Body.of(data, inline: false)
            blobs[body.sha256] = data
            return body
        }
        func binary(file url: URL) throws -> Cassette.Body {
            guard keepBlobs else {
                let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
                return Cassette.Body(sha256: try SHA256Hex.ofFile(at: url), size: size)
            }
            guard let data = try? Data(contentsOf: url) else {
                throw TransportError(.localFile, "Could not read \(url.lastPathComponent) to record it; check that it exists and is readable.")
            }
            return binary(data)
        }

        switch request.body {
        case .empty:
            break
        case .bytes(let data):
            let body = Cassette.Body.of(data, inline: true)
            if body.text == nil { blobs[body.sha256] = data }
            described.body = body
        case .file(let url):
            described.body = try binary(file: url)
        case .multipart(let parts):
            described.parts = try parts.map { part in
                switch part.content {
                case .text(let value):
                    return Cassette.Part(name: part.name, value: value)
                case .data(let data, let filename, let contentType):
                    return Cassette.Part(name: part.name, filename: filename, contentType: contentType, body: binary(data))
                case .file(let url, let filename, let contentType):
                    return Cassette.Part(name: part.name, filename: filename, contentType: contentType, body: try binary(file: url))
                }
            }
        }
        if !keepBlobs { blobs = [:] }
        return described
    }
}

/// What makes two requests the same for replay: method, URL path, multipart text fields,
/// and the SHA-256 of each file part or body. Host, port, boundary and headers do not count.
struct RequestFingerprint: Hashable, Sendable, CustomStringConvertible {
    var kind: Cassette.Interaction.Kind
    var method: String
    var path: String
    var fields: [String]
    var files: [String]
    var body: String?
    /// How messages name the upload: "image sha256 …" for the `image` part, else the first
    /// file part, else the body.
    var upload: String?

    init(_ request: Cassette.Request, kind: Cassette.Interaction.Kind) {
        self.kind = kind
        method = request.method.uppercased()
        let path = URLComponents(string: request.url)?.percentEncodedPath ?? request.url
        self.path = path.isEmpty ? "/" : path
        let parts = request.parts ?? []
        fields = parts.compactMap { part in part.value.map { "\(part.name)=\($0)" } }.sorted()
        files = parts.compactMap { part in part.body.map { "\(part.name)=\($0.sha256)" } }.sorted()
        body = request.body?.sha256
        let fileParts = parts.filter { $0.body != nil }
        if let part = fileParts.first(where: { $0.name == "image" }) ?? fileParts.first, let sha = part.body?.sha256 {
            upload = "\(part.name) sha256 \(sha)"
        } else {
            upload = body.map { "body sha256 \($0)" }
        }
    }

    var description: String {
        let details = (upload.map { [$0] } ?? []) + (fields.isEmpty ? [] : ["fields " + fields.joined(separator: " ")])
        return "\(method) \(path)" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
    }
}
