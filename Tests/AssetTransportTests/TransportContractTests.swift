import AssetTransport
import Foundation
import TestSupport
import Testing

/// The `Transport` contract, run against every implementation in this module.
///
/// The replay backend first records the same script through a RecordingTransport, then
/// stops the server and runs the script again from the cassette alone.
@Suite("Transport contract")
struct TransportContractTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case curl, record, replay
        var testDescription: String { rawValue }
    }

    @Test(arguments: Backend.allCases)
    func contract(_ backend: Backend) async throws {
        let folder = TemporaryDirectory()
        let cassette = folder.path("contract.json")
        let server = try await LoopbackServer.start()
        let base = server.baseURL
        switch backend {
        case .curl:
            try await Self.script(CurlTransport(), base: base, folder: folder)
        case .record:
            try await Self.script(RecordingTransport(upstream: CurlTransport(), cassette: cassette, mode: .all, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"]), base: base, folder: folder)
            #expect(try Cassette.load(from: cassette).interactions.count == 5)
        case .replay:
            try await Self.script(RecordingTransport(upstream: CurlTransport(), cassette: cassette, mode: .all, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"]), base: base, folder: folder)
            server.stop()
            try await Self.script(ReplayTransport(cassette: cassette), base: base, folder: folder)
        }
    }

    /// What every transport must do; `base` is the loopback server (possibly stopped, for replay).
    static func script(_ transport: any Transport, base: URL, folder: TemporaryDirectory) async throws {
        func url(_ path: String) -> URL { URL(string: base.absoluteString + path)! }

        // A binary body comes back whole.
        let bytes = try await transport.send(HTTPRequest(url: url("/bytes/1000"), headers: [HTTPHeader("ailabapi-api-key", fakeKey)]))
        #expect(bytes.status == 200)
        #expect(bytes.body == deterministicBytes(1000))

        // A multipart upload arrives as sent.
        let echo = try Echo(try await transport.send(HTTPRequest(method: "POST", url: url("/echo"), body: .multipart([
            .text("return_form", "mask"), .file("image", Fixtures.jpeg, contentType: "image/jpeg"),
        ]))))
        #expect(echo.fields == ["return_form": "mask"])
        #expect(echo.files.map(\.sha256) == [try SHA256Hex.ofFile(at: Fixtures.jpeg)])

        // An error status is a response, not a throw.
        let unavailable = try await transport.send(HTTPRequest(url: url("/status/503")))
        #expect(unavailable.status == 503)
        #expect(String(decoding: unavailable.body, as: UTF8.self) == #"{"status": 503}"#)

        // A 2xx download lands in the file, and the response body is empty.
        let file = folder.path("download-\(UUID().uuidString).bin")
        let downloaded = try await transport.download(HTTPRequest(url: url("/bytes/5000")), to: file, limit: 1 << 20)
        #expect(downloaded.status == 200)
        #expect(downloaded.body.isEmpty)
        #expect(try Data(contentsOf: file) == deterministicBytes(5000))

        // Over its limit: a throw, and no file at all.
        let subfolder = folder.path("limited-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: subfolder, withIntermediateDirectories: true)
        let tooLarge = await transportError {
            _ = try await transport.download(HTTPRequest(url: url("/bytes/5000")), to: subfolder.appendingPathComponent("x.bin"), limit: 100)
        }
        #expect(tooLarge?.code == .tooLarge)
        #expect(try FileManager.default.contentsOfDirectory(atPath: subfolder.path).isEmpty)

        // A non-2xx download writes nothing and returns the error body.
        let missing = subfolder.appendingPathComponent("missing.bin")
        let notFound = try await transport.download(HTTPRequest(url: url("/status/404")), to: missing, limit: 1 << 20)
        #expect(notFound.status == 404)
        #expect(String(decoding: notFound.body, as: UTF8.self) == #"{"status": 404}"#)
        #expect(!FileManager.default.fileExists(atPath: missing.path))
    }
}
