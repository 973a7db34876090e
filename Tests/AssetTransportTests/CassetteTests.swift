import AssetTransport
import Foundation
import TestSupport
import Testing

@Suite("Cassettes: record against the loopback server, replay offline")
struct CassetteTests {
    let folder: TemporaryDirectory
    let cassette: URL

    init() throws {
        folder = TemporaryDirectory()
        cassette = folder.path("api.cassette.json")
    }

    private struct Extraction: Decodable {
        struct Element: Decodable { var imageUrl: String }
        struct Payload: Decodable { var elements: [Element] }
        var data: Payload
    }

    private func resultURL(_ response: HTTPResponse) throws -> URL {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let element = try #require(try decoder.decode(Extraction.self, from: response.body).data.elements.first)
        return try #require(URL(string: element.imageUrl))
    }

    /// Records an extraction (plain and mask), their downloads and a credits query.
    private func record() async throws -> (responses: [HTTPResponse], files: [Data]) {
        let server = try await LoopbackServer.start()
        defer { server.stop() }
        let recorder = RecordingTransport(upstream: CurlTransport(), cassette: cassette, mode: .all, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"])
        var responses: [HTTPResponse] = []
        var files: [Data] = []
        for mask in [false, true] {
            let answer = try await recorder.send(extractionRequest(base: server.baseURL, image: .fixture(Fixtures.jpeg), mask: mask))
            #expect(answer.status == 200)
            responses.append(answer)
            let file = folder.path("recorded-\(mask).png")
            let download = try await recorder.download(HTTPRequest(url: try resultURL(answer)), to: file, limit: 1 << 20)
            #expect(download.status == 200)
            files.append(try Data(contentsOf: file))
        }
        let credits = HTTPRequest(url: server.url("/api/common/query-credits"), headers: [HTTPHeader("ailabapi-api-key", fakeKey)])
        responses.append(try await recorder.send(credits))
        let stats = try await server.stats()
        #expect(stats["extraction_calls"] == 2)
        #expect(stats["downloads"] == 2)
        return (responses, files)
    }

    @Test func replayIsByteIdenticalWithTheServerStopped() async throws {
        let recorded = try await record()
        #expect(recorded.files[0] != recorded.files[1])

        // The server is gone: any network use would fail with a connection error.
        let replay = ReplayTransport(cassette: cassette)
        let offline = URL(string: "http://127.0.0.1:9")!
        var replayed: [HTTPResponse] = []
        var files: [Data] = []
        for mask in [false, true] {
            // No key, another host and port, the image from memory: none of it counts.
            let answer = try await replay.send(extractionRequest(base: offline, image: .data(try Data(contentsOf: Fixtures.jpeg), filename: "x.jpg", contentType: "image/jpeg"), mask: mask, key: nil))
            replayed.append(answer)
            let file = folder.path("replayed-\(mask).png")
            _ = try await replay.download(HTTPRequest(url: try resultURL(answer)), to: file, limit: 1 << 20)
            files.append(try Data(contentsOf: file))
        }
        replayed.append(try await replay.send(HTTPRequest(url: URL(string: "https://www.ailabapi.com/api/common/query-credits")!)))

        #expect(replayed.map(\.body) == recorded.responses.map(\.body))
        #expect(replayed.map(\.status) == recorded.responses.map(\.status))
        #expect(replayed.map(\.headers) == recorded.responses.map(\.headers))
        #expect(files == recorded.files)
        #expect(files.allSatisfy { $0.starts(with: [0x89, 0x50, 0x4E, 0x47]) })
    }

    @Test func binaryBodiesAreBlobsNamedBySHA256() async throws {
        let recorded = try await record()
        let blobs = Cassette.blobsFolder(for: cassette)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: blobs.path))
        #expect(names.contains(try SHA256Hex.ofFile(at: Fixtures.jpeg)))
        for file in recorded.files { #expect(names.contains(SHA256Hex.of(file))) }
        #expect(names.count == 3)
        for name in names {
            #expect(SHA256Hex.of(try Data(contentsOf: blobs.appendingPathComponent(name))) == name)
        }
        let saved = try Cassette.load(from: cassette)
        #expect(saved.version == 1)
        #expect(saved.interactions.map(\.kind) == [.send, .download, .send, .download, .send])
        // JSON answers stay inline and readable.
        #expect(saved.interactions[0].response.body.text?.contains("image_url") == true)
    }

    @Test func noFileContainsTheKey() async throws {
        _ = try await record()
        let files = try folder.allFiles()
        #expect(files.count >= 5)
        let key = Data(fakeKey.utf8)
        for file in files {
            #expect(file.bytes.range(of: key) == nil, "\(file.path)")
            #expect(file.bytes.range(of: Data("SECRET".utf8)) == nil, "\(file.path)")
        }
        let json = String(decoding: try Data(contentsOf: cassette), as: UTF8.self)
        #expect(json.contains(#""value" : "<redacted>""#))
        #expect(json.contains("ailabapi-api-key"))
    }

    @Test func anUnrecordedRequestIsAMissNamingIt() async throws {
        _ = try await record()
        let replay = ReplayTransport(cassette: cassette)
        let error = await transportError {
            _ = try await replay.send(extractionRequest(base: URL(string: "https://www.ailabapi.com")!, image: .fixture(Fixtures.png, type: "image/png")))
        }
        #expect(error?.code == .replayMiss)
        let message = error?.message ?? ""
        #expect(message.contains("POST /api/cutout/portrait/avatar-extraction"))
        #expect(message.contains(try SHA256Hex.ofFile(at: Fixtures.png)))
        #expect(message.contains(cassette.path))
        #expect(message.contains("record mode new") && !message.contains("--"))
        #expect(!message.contains(fakeKey))

        // The same image with a text field it was not recorded with is a miss too.
        let unrecordedField = await transportError {
            var request = extractionRequest(base: URL(string: "https://www.ailabapi.com")!, image: .fixture(Fixtures.jpeg))
            request.body = .multipart([.file("image", Fixtures.jpeg), .text("return_form", "whiteBK")])
            _ = try await replay.send(request)
        }
        #expect(unrecordedField?.code == .replayMiss)
        #expect(unrecordedField?.message.contains("return_form=whiteBK") == true)
    }

    @Test func aMissingCassetteSaysHowToRecordIt() async throws {
        let error = await transportError { _ = try await ReplayTransport(cassette: cassette).send(HTTPRequest(url: URL(string: "https://x.test/")!)) }
        #expect(error?.code == .cassette)
        #expect(error?.message.contains("record it first") == true && error?.message.contains("--") == false)
    }
}
