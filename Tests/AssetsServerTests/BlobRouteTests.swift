import AssetStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AssetsServer

@Suite struct BlobRouteTests {
    let fixture: ServerFixture
    let bytes: Data
    let hash: ContentHash

    init() throws {
        fixture = try ServerFixture()
        // Served only if it is a PNG: the signature, then anything.
        bytes = Data(BlobRoute.pngSignature) + Data((8..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        hash = try fixture.store.blobs.put(bytes).hash
    }

    var uri: String { "/blobs/\(hash.hex).png" }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await fixture.test { client in try await client.execute(uri: uri, method: .get, headers: headers) }
    }

    @Test func aBlobIsServedWithItsHashAsETagForEver() async throws {
        let response = try await get(uri)
        #expect(response.status == .ok)
        #expect(Data(buffer: response.body) == bytes)
        #expect(response.headers[.eTag] == "\"\(hash.hex)\"")
        #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
        #expect(response.headers[.contentType] == "image/png")
        #expect(response.headers[.acceptRanges] == "bytes")
        #expect(response.headers[.contentLength] == "1000")
    }

    @Test(arguments: ["\"HASH\"", "W/\"HASH\"", "\"other\", \"HASH\"", "*"])
    func aMatchingIfNoneMatchGets304(tag: String) async throws {
        let response = try await get(uri, headers: [.ifNoneMatch: tag.replacingOccurrences(of: "HASH", with: hash.hex)])
        #expect(response.status == .notModified)
        #expect(response.body.readableBytes == 0)
        #expect(response.headers[.eTag] == "\"\(hash.hex)\"")
        #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
    }

    @Test func anotherETagGetsTheBlob() async throws {
        let response = try await get(uri, headers: [.ifNoneMatch: "\"\(String(repeating: "0", count: 64))\""])
        #expect(response.status == .ok)
        #expect(Data(buffer: response.body) == bytes)
    }

    @Test(arguments: [
        ("bytes=0-9", 0...9),
        ("bytes=990-", 990...999),
        ("bytes=-5", 995...999),
        ("bytes=100-100", 100...100),
        ("bytes=500-5000", 500...999),
        ("bytes=-5000", 0...999),
    ])
    func aRangeGets206WithThoseBytes(header: String, expected: ClosedRange<Int>) async throws {
        let response = try await get(uri, headers: [.range: header])
        #expect(response.status == .partialContent)
        #expect(response.headers[.contentRange] == "bytes \(expected.lowerBound)-\(expected.upperBound)/1000")
        #expect(response.headers[.contentLength] == String(expected.count))
        #expect(Data(buffer: response.body) == bytes[expected])
        #expect(response.headers[.eTag] == "\"\(hash.hex)\"")
    }

    @Test(arguments: ["bytes=1000-", "bytes=5000-6000", "bytes=9-2", "bytes=abc", "bytes=-0", "bytes=-", "bytes=1-x"])
    func aBadRangeGets416(header: String) async throws {
        let response = try await get(uri, headers: [.range: header])
        #expect(response.status == .rangeNotSatisfiable)
        #expect(response.headers[.contentRange] == "bytes */1000")
        #expect(response.body.readableBytes == 0)
    }

    @Test(arguments: ["items=0-9", "bytes=0-1,5-6"])
    func otherUnitsAndSeveralRangesGetTheWholeBlob(header: String) async throws {
        let response = try await get(uri, headers: [.range: header])
        #expect(response.status == .ok)
        #expect(Data(buffer: response.body) == bytes)
    }

    @Test func aRawAnswerIsNeverServed() async throws {
        // Raw API answers are blobs too (JSON with the vendor's temporary URLs).
        let raw = try fixture.store.blobs.put(Data(#"{"data":{"elements":[{"image_url":"https://vendor.example/tmp/1.png"}]}}"#.utf8)).hash
        let response = try await get("/blobs/\(raw.hex).png")
        #expect(response.status == .notFound)
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(!String(buffer: response.body).contains("vendor"))
    }

    @Test func aDamagedBlobIsNeverServedAsImmutable() async throws {
        var damaged = bytes
        damaged[500] ^= 0xFF
        try damaged.write(to: fixture.store.blobs.url(for: hash))
        for headers: HTTPFields in [[:], [.ifNoneMatch: "\"\(hash.hex)\""], [.range: "bytes=0-9"]] {
            let response = try await get(uri, headers: headers)
            #expect(response.status == .internalServerError)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.eTag] == nil)
            #expect(Data(buffer: response.body) != damaged)
            #expect(!String(buffer: response.body).contains(fixture.store.root.path))
        }
    }

    @Test func aSymlinkAtABlobPathIsNeverFollowed() async throws {
        // A PNG outside the store, and a link to it planted under its own hash: only not
        // following the link keeps it from being served.
        var other = bytes
        other[999] ^= 1
        let outside = fixture.folder.path("outside.png")
        try other.write(to: outside)
        let planted = ContentHash.of(other)
        let path = fixture.store.blobs.url(for: planted)
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: path, withDestinationURL: outside)
        let response = try await get("/blobs/\(planted.hex).png")
        #expect(response.status == .notFound)
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(Data(buffer: response.body) != other)
    }

    @Test func aBlobRemovedAndStoredAgainMeanwhileIsServedWholeOrNotAtAll() async throws {
        // Before, a file removed between the size check and the read got 200, a Content-Length
        // and no body. Now every answer is the whole blob or a 404.
        let blobs = fixture.store.blobs
        let toggler = Task.detached { [bytes] in
            while !Task.isCancelled {
                blobs.remove(ContentHash.of(bytes))
                _ = try? blobs.put(bytes)
            }
        }
        defer { toggler.cancel() }
        let (whole, missing) = try await fixture.test { [uri, bytes] client in
            var whole = 0
            var missing = 0
            for _ in 0..<300 {
                let response = try await client.execute(uri: uri, method: .get)
                if response.status == .ok {
                    #expect(Data(buffer: response.body) == bytes)
                    #expect(response.headers[.contentLength] == "1000")
                    whole += 1
                } else {
                    #expect(response.status == .notFound)
                    missing += 1
                }
            }
            return (whole, missing)
        }
        #expect(whole + missing == 300)
    }

    @Test func aWellFormedHashThatIsNotStoredIs404() async throws {
        let response = try await get("/blobs/\(String(repeating: "ab", count: 32)).png")
        #expect(response.status == .notFound)
    }

    @Test(arguments: [
        "/blobs/../catalog.sqlite",
        "/blobs/%2e%2e/catalog.sqlite",
        "/blobs/%2e%2e%2fcatalog.sqlite",
        "/blobs/..%2f..%2fetc%2fpasswd",
        "/blobs/%2e%2e",
        "/blobs/..",
        "/blobs/catalog.sqlite",
        "/blobs/HASH",
        "/blobs/HASH.PNG",
        "/blobs/HASH.png.png",
        "/blobs/UPPER.png",
        "/blobs/SHORT.png",
        "/blobs/LONG.png",
        "/blobs/NONHEX.png",
        "/blobs/PREFIX",
        "/blobs/",
        "/blobs/HASH.png%00",
        "/blobs/%00HASH.png",
    ])
    func anythingButAWellFormedNameIsRefused(template: String) async throws {
        let hex = hash.hex
        let uri = template
            .replacingOccurrences(of: "UPPER", with: hex.uppercased())
            .replacingOccurrences(of: "SHORT", with: String(hex.dropLast()))
            .replacingOccurrences(of: "LONG", with: hex + "0")
            .replacingOccurrences(of: "NONHEX", with: String(hex.dropLast()) + "g")
            .replacingOccurrences(of: "PREFIX", with: String(hex.prefix(2)) + "/" + String(hex.dropFirst(2)))
            .replacingOccurrences(of: "HASH", with: hex)
        let response = try await get(uri)
        #expect([400, 404].contains(response.status.code), "\(uri) answered \(response.status)")
        #expect(Data(buffer: response.body) != bytes)
    }

    @Test func namesAreCheckedBeforeTheFileSystem() {
        let hex = hash.hex
        #expect(BlobRoute.hash(fromName: "\(hex).png") == hash)
        #expect(BlobRoute.hash(fromName: "\(hex.uppercased()).png") == nil)
        #expect(BlobRoute.hash(fromName: "../\(hex.dropFirst(3)).png") == nil)
        #expect(BlobRoute.hash(fromName: "\(hex).jpg") == nil)
        #expect(BlobRoute.hash(fromName: "\(hex)") == nil)
        #expect(BlobRoute.hash(fromName: "") == nil)
    }

    @Test func rangesFollowRFC9110() {
        #expect(ByteRange.parse(nil, size: 10) == .whole)
        #expect(ByteRange.parse("bytes=0-", size: 10) == .part(0...9))
        #expect(ByteRange.parse("bytes=0-99999999999999999999999", size: 10) == .part(0...9))
        #expect(ByteRange.parse("bytes=99999999999999999999999-", size: 10) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-0", size: 0) == .unsatisfiable)
        #expect(ByteRange.parse(" Bytes=2-3 ", size: 10) == .part(2...3))
    }
}
