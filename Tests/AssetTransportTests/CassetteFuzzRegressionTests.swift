import AssetTransport
import Foundation
import TestSupport
import Testing

/// Replays the cassettes the fuzzer kept (Tests/Fixtures/fuzz/FuzzCassette/, see scripts/fuzz)
/// with the same checks as Fuzz/FuzzCassette: load, then replay each interaction; every
/// failure is a TransportError with a cassette, replay-miss, size or local-file code.
@Suite struct CassetteFuzzRegressionTests {
    static let folder = Repository.fixture("fuzz/FuzzCassette")
    static let inputs: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    static let allowedCodes: Set<TransportError.Code> = [.cassette, .replayMiss, .tooLarge, .localFile]

    @Test func thereAreInputs() {
        #expect(Self.inputs.count >= 3)
    }

    @Test(arguments: inputs)
    func loadAndReplay(name: String) async throws {
        let work = TemporaryDirectory()
        let file = work.path("c.json")
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(name), to: file)
        try FileManager.default.createSymbolicLink(
            at: Cassette.blobsFolder(for: file), withDestinationURL: Repository.fixture("cassettes/portraits.json.blobs"))

        let cassette: Cassette
        do {
            cassette = try Cassette.load(from: file)
        } catch {
            expectTyped(error)
            return
        }
        #expect(cassette.version == Cassette.currentVersion)
        let replay = ReplayTransport(cassette: file)
        for interaction in cassette.interactions.prefix(8) {
            guard let request = Self.request(interaction.request, blobs: Cassette.blobsFolder(for: file)) else { continue }
            do {
                switch interaction.kind {
                case .send: _ = try await replay.send(request)
                case .download: _ = try await replay.download(request, to: work.path("download.out"), limit: 1 << 20)
                }
            } catch {
                expectTyped(error)
            }
        }
    }

    private func expectTyped(_ error: any Error) {
        guard let error = error as? TransportError else {
            Issue.record("untyped error \(error)")
            return
        }
        #expect(Self.allowedCodes.contains(error.code), "\(error.code): \(error.message)")
    }

    /// The request that `recorded` describes, with file parts read from the blob folder.
    static func request(_ recorded: Cassette.Request, blobs: URL) -> HTTPRequest? {
        guard let url = URL(string: recorded.url) else { return nil }
        var request = HTTPRequest(method: recorded.method, url: url, headers: recorded.headers)
        if let parts = recorded.parts {
            request.body = .multipart(parts.map { part in
                if let body = part.body {
                    let data = (try? Data(contentsOf: blobs.appendingPathComponent(body.sha256))) ?? Data()
                    return MultipartPart(name: part.name, content: .data(data, filename: part.filename ?? "f", contentType: part.contentType ?? "application/octet-stream"))
                }
                return .text(part.name, part.value ?? "")
            })
        } else if let text = recorded.body?.text {
            request.body = .bytes(Data(text.utf8))
        }
        return request
    }
}
