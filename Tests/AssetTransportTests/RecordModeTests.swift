import AssetTransport
import Foundation
import Testing
import TestSupport

@Suite("Record modes, repeats and secrets, without sockets")
struct RecordModeTests {
    let folder: TemporaryDirectory
    let cassette: URL
    let base = URL(string: "https://api.test")!

    init() throws {
        folder = TemporaryDirectory()
        cassette = folder.path("modes.json")
    }

    private func get(_ path: String) -> HTTPRequest {
        HTTPRequest(url: URL(string: base.absoluteString + path)!, headers: [HTTPHeader("ailabapi-api-key", fakeKey)])
    }

    private func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    /// A cassette holding one answer to GET /a, made through a fresh upstream.
    private func seed() async throws {
        let recorder = RecordingTransport(upstream: FakeUpstream(), cassette: cassette, mode: .all, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"])
        #expect(text(try await recorder.send(get("/a"))) == "answer 1 for /a")
    }

    @Test func onceRecordsOnlyWhenTheCassetteIsMissing() async throws {
        let first = FakeUpstream()
        let recorder = RecordingTransport(upstream: first, cassette: cassette, mode: .once, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"])
        #expect(recorder.mode == .all)
        _ = try await recorder.send(get("/a"))
        #expect(await first.calls == 1)

        let second = FakeUpstream()
        let replayer = RecordingTransport(upstream: second, cassette: cassette, mode: .once, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"])
        #expect(replayer.mode == .none)
        #expect(text(try await replayer.send(get("/a"))) == "answer 1 for /a")
        let miss = await transportError { _ = try await replayer.send(get("/b")) }
        #expect(miss?.code == .replayMiss)
        #expect(await second.calls == 0)
    }

    @Test func newReplaysMatchesAndAppendsTheRest() async throws {
        try await seed()
        let upstream = FakeUpstream()
        let recorder = RecordingTransport(upstream: upstream, cassette: cassette, mode: .new, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"])
        #expect(text(try await recorder.send(get("/a"))) == "answer 1 for /a")
        #expect(text(try await recorder.send(get("/b"))) == "answer 1 for /b")
        #expect(text(try await recorder.send(get("/b"))) == "answer 1 for /b")
        #expect(await upstream.calls == 1)

        let replay = ReplayTransport(cassette: cassette)
        #expect(text(try await replay.send(get("/a"))) == "answer 1 for /a")
        #expect(text(try await replay.send(get("/b"))) == "answer 1 for /b")
        #expect(try Cassette.load(from: cassette).interactions.count == 2)
    }

    @Test func allRecordsAfresh() async throws {
        try await seed()
        let upstream = FakeUpstream()
        let recorder = RecordingTransport(upstream: upstream, cassette: cassette, mode: .all, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"])
        _ = try await upstream.send(get("/warm-up"))
        #expect(text(try await recorder.send(get("/a"))) == "answer 2 for /a")
        #expect(await upstream.calls == 2)
        let saved = try Cassette.load(from: cassette)
        #expect(saved.interactions.count == 1)
        #expect(text(try await ReplayTransport(cassette: cassette).send(get("/a"))) == "answer 2 for /a")
    }

    @Test func noneNeverGoesUpstream() async throws {
        let upstream = FakeUpstream()
        let missing = RecordingTransport(upstream: upstream, cassette: cassette, mode: .none, secrets: [])
        let noFile = await transportError { _ = try await missing.send(get("/a")) }
        #expect(noFile?.code == .cassette)

        try await seed()
        let replayer = RecordingTransport(upstream: upstream, cassette: cassette, mode: .none, secrets: [])
        #expect(text(try await replayer.send(get("/a"))) == "answer 1 for /a")
        let miss = await transportError { _ = try await replayer.download(get("/b.png"), to: folder.path("b.png"), limit: 100) }
        #expect(miss?.code == .replayMiss)
        #expect(miss?.message.contains("GET /b.png") == true)
        #expect(await upstream.calls == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.path("b.png").path))
    }

    @Test func repeatedRequestsReplayInOrderThenRepeatTheLast() async throws {
        let recorder = RecordingTransport(upstream: FakeUpstream(), cassette: cassette, mode: .all, secrets: [])
        for _ in 0..<3 { _ = try await recorder.send(get("/a")) }
        let replay = ReplayTransport(cassette: cassette)
        var answers: [String] = []
        for _ in 0..<5 { answers.append(text(try await replay.send(get("/a")))) }
        #expect(answers == ["answer 1 for /a", "answer 2 for /a", "answer 3 for /a", "answer 3 for /a", "answer 3 for /a"])
    }

    @Test func replayedDownloadsKeepTheLimit() async throws {
        let recorder = RecordingTransport(upstream: FakeUpstream(), cassette: cassette, mode: .all, secrets: [])
        let recordedFile = folder.path("recorded.png")
        _ = try await recorder.download(get("/r.png"), to: recordedFile, limit: 1000)
        let replay = ReplayTransport(cassette: cassette)
        let tooLarge = await transportError { _ = try await replay.download(get("/r.png"), to: folder.path("small.png"), limit: 10) }
        #expect(tooLarge?.code == .tooLarge)
        #expect(!FileManager.default.fileExists(atPath: folder.path("small.png").path))
        _ = try await replay.download(get("/r.png"), to: folder.path("fits.png"), limit: 1000)
        #expect(try Data(contentsOf: folder.path("fits.png")) == Data(contentsOf: recordedFile))
    }

    @Test func concurrentRecordingsAllLand() async throws {
        let recorder = RecordingTransport(upstream: FakeUpstream(), cassette: cassette, mode: .all, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 { group.addTask { _ = try await recorder.send(get("/item/\(index)")) } }
            try await group.waitForAll()
        }
        #expect(try Cassette.load(from: cassette).interactions.count == 8)
        let replay = ReplayTransport(cassette: cassette)
        for index in 0..<8 {
            #expect(text(try await replay.send(get("/item/\(index)"))).hasSuffix("for /item/\(index)"))
        }
    }

    @Test func savingRefusesAnEchoedSecretAndWritesNothing() async throws {
        let recorder = RecordingTransport(upstream: FakeUpstream(echoHeader: "ailabapi-api-key"), cassette: cassette, mode: .all, secrets: [fakeKey], redactHeaders: ["ailabapi-api-key"])
        let sent = await transportError { _ = try await recorder.send(get("/echo")) }
        #expect(sent?.code == .cassette)
        #expect(sent?.message.contains("secret") == true)
        let destination = folder.path("echo.png")
        let downloaded = await transportError { _ = try await recorder.download(get("/echo.png"), to: destination, limit: 1000) }
        #expect(downloaded?.code == .cassette)
        for error in [sent, downloaded].compactMap({ $0 }) {
            #expect(!error.message.contains(fakeKey))
            #expect(!"\(error)".contains("SECRET"))
        }
        #expect(try folder.contents().isEmpty)
    }

    @Test func secretsListedByTheCallerAreRefusedEvenOutsideHeaders() async throws {
        // The key travels in another header here; `secrets` alone must catch it.
        let recorder = RecordingTransport(upstream: FakeUpstream(echoHeader: "X-Token"), cassette: cassette, mode: .all, secrets: ["token-123456789"])
        let request = HTTPRequest(url: URL(string: "https://api.test/t")!, headers: [HTTPHeader("X-Token", "token-123456789")])
        #expect(await transportError { _ = try await recorder.send(request) }?.code == .cassette)
        #expect(try folder.contents().isEmpty)
    }

    @Test func shortSecretsAreNotChecked() async throws {
        let recorder = RecordingTransport(upstream: FakeUpstream(echoHeader: "ailabapi-api-key"), cassette: cassette, mode: .all, secrets: ["k-1234"], redactHeaders: ["ailabapi-api-key"])
        let request = HTTPRequest(url: URL(string: "https://api.test/short")!, headers: [HTTPHeader("ailabapi-api-key", "k-1234")])
        #expect(text(try await recorder.send(request)) == "answer 1 for /short seen k-1234")
        let json = String(decoding: try Data(contentsOf: cassette), as: UTF8.self)
        #expect(json.contains("<redacted>"))
    }

    @Test func extraRedactedHeadersAreNotWritten() async throws {
        let recorder = RecordingTransport(upstream: FakeUpstream(), cassette: cassette, mode: .all, secrets: [], redactHeaders: ["X-Session"])
        let request = HTTPRequest(url: URL(string: "https://api.test/s")!, headers: [HTTPHeader("X-Session", "session-abcdef-123"), HTTPHeader("X-Plain", "visible")])
        _ = try await recorder.send(request)
        let headers = try Cassette.load(from: cassette).interactions[0].request.headers
        #expect(headers == [HTTPHeader("X-Session", "<redacted>"), HTTPHeader("X-Plain", "visible")])
    }
}
