import AssetStore
import Foundation
import Hummingbird

/// `GET /blobs/<sha256>.png`: a stored result image, cacheable for ever since its name is its hash.
///
/// Only a name of exactly 64 lowercase hex digits and `.png` is looked up; anything else is
/// answered 400 before the file system is touched, so no name can reach outside the store.
/// The answer carries `ETag` (the hash), `Cache-Control: public, max-age=31536000, immutable`
/// and `Accept-Ranges: bytes`; `If-None-Match` gets 304, and one `Range` gets 206 or 416.
struct BlobRoute: Sendable {
    let blobs: BlobStore
    let fileIO = FileIO()

    static let cacheControl = "public, max-age=31536000, immutable"

    /// The hash named by a blob file name, or `nil` unless it is `<64 lowercase hex>.png`.
    static func hash(fromName name: String) -> ContentHash? {
        let utf8 = Array(name.utf8)
        guard utf8.count == 68, name.hasSuffix(".png") else { return nil }
        let isLowercaseHex = utf8[..<64].allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        guard isLowercaseHex else { return nil }
        return ContentHash(hex: String(decoding: utf8[..<64], as: UTF8.self))
    }

    func respond(to request: Request, context: some RequestContext) async throws -> Response {
        guard let name = context.parameters.get("name"), let hash = Self.hash(fromName: name) else {
            return Self.plain(.badRequest, "A blob name is 64 lowercase hex digits followed by .png.")
        }
        guard let size = blobs.size(of: hash) else {
            return Self.plain(.notFound, "No blob has this hash in the store.")
        }
        var headers = HTTPFields()
        headers[.eTag] = "\"\(hash.hex)\""
        headers[.cacheControl] = Self.cacheControl
        headers[.acceptRanges] = "bytes"
        if let tags = request.headers[.ifNoneMatch], Self.matches(tags, hash.hex) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "image/png"
        let path = blobs.url(for: hash).path
        switch ByteRange.parse(request.headers[.range], size: Int(size)) {
        case .whole:
            guard size > 0 else { return Response(status: .ok, headers: headers) }
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers, body: try await fileIO.loadFile(path: path, range: 0...Int(size) - 1, context: context))
        case .part(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            return Response(status: .partialContent, headers: headers, body: try await fileIO.loadFile(path: path, range: range, context: context))
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
    }

    /// Whether an `If-None-Match` list names `hex` (quoted or not, weak or strong) or is `*`.
    static func matches(_ header: String, _ hex: String) -> Bool {
        header.split(separator: ",").contains { item in
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == hex
        }
    }

    static func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
