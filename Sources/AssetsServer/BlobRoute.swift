import AssetStore
import Foundation
import Hummingbird

/// `GET /blobs/<sha256>.png`: a stored result image, cacheable for ever since its name is its hash.
///
/// Only a name of exactly 64 lowercase hex digits and `.png` is looked up; anything else is
/// answered 400 before the file system is touched, so no name can reach outside the store.
/// The file is read whole and re-hashed on every request: what is sent is a PNG whose bytes
/// match its name, or a 404 (500 for a damaged one, never with `immutable`).
/// The answer carries `ETag` (the hash), `Cache-Control: public, max-age=31536000, immutable`
/// and `Accept-Ranges: bytes`; `If-None-Match` gets 304, and one `Range` gets 206 or 416.
///
/// With a shared tier, a blob this server lacks is fetched from the fleet's bucket (re-hashed)
/// and kept, so that one server's result URL works on every server.
struct BlobRoute: Sendable {
    let blobs: BlobStore
    /// Brings a blob from elsewhere (the shared tier) into `blobs`, if it can.
    var fetch: (@Sendable (ContentHash) async -> Void)? = nil

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
        // Read whole before any status is sent (a gc between a size check and a streamed read
        // once sent 200 and then no body), through `BlobStore.read`, which follows no symlink
        // and opens only regular files. Only result images are served: the bytes must match
        // their name and be a PNG, so a raw API answer (JSON) or a damaged file never is.
        if !blobs.contains(hash), let fetch { await fetch(hash) }
        guard let data = try? blobs.read(hash), data.count <= Self.largestBlob, data.starts(with: Self.pngSignature) else {
            return Self.plain(.notFound, "No result image has this hash in the store.")
        }
        guard ContentHash.of(data) == hash else {
            context.logger.error("a stored result image does not match its hash; run assets cache verify --repair", metadata: ["sha256": .string(hash.hex)])
            return Self.plain(.internalServerError, "The stored image is damaged; the server's operator can repair the store.")
        }
        let size = data.count
        var headers = HTTPFields()
        headers[.eTag] = "\"\(hash.hex)\""
        headers[.cacheControl] = Self.cacheControl
        headers[.acceptRanges] = "bytes"
        if let tags = request.headers[.ifNoneMatch], Self.matches(tags, hash.hex) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "image/png"
        switch ByteRange.parse(request.headers[.range], size: size) {
        case .whole:
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case .part(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            return Response(status: .partialContent, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data[range])))
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
    }

    /// The first eight bytes of every PNG file.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// No result is stored larger than the download cap; a larger file is not one of ours.
    static let largestBlob = 64 << 20

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
        // A refusal may change (a blob stored later, a damaged one repaired): never cached.
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
