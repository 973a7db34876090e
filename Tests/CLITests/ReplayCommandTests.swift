import Foundation
import Testing
import TestSupport

/// `assets extract --backend replay` on the cassette committed under Tests/Fixtures/cassettes:
/// no key, no network, byte-identical results.
@Suite struct ReplayCommandTests {
    let folder = TemporaryDirectory("cli-replay")
    let assets = Repository.product("assets")
    let cassette = Repository.fixture("cassettes/portraits.json")

    func run(_ arguments: [String]) throws -> ProcessResult {
        try ChildProcess.run(assets, arguments + ["--backend", "replay", "--cassette", cassette.path, "--store", folder.path("store").path], environment: [
            "AILAB_API_KEY": nil, "AILAB_API_BASE": "http://127.0.0.1:9", "ASSETS_BACKEND": nil,
        ])
    }

    @Test func theCommittedCassetteReplaysOfflineToTheRecordedBytes() throws {
        let before = try Data(contentsOf: cassette)
        let result = try run(["extract", Repository.fixture("grace_hopper.jpg").path, "--json", "--out", folder.path("out").path])
        #expect(result.status == 0, "\(result.stderrText)")
        let line = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(line["cache"] as? String == "miss")
        let element = try #require((line["elements"] as? [[String: Any]])?.first)
        // The recorded download, stored in the cassette by its hash.
        let recorded = "afc142641fa36439459f28eb75d76b6822caf9393f73015ad7a1d41194afdffa"
        #expect(element["sha256"] as? String == recorded)
        let written = try Data(contentsOf: folder.path("out/grace_hopper.head.png"))
        #expect(written == (try Data(contentsOf: Repository.fixture("cassettes/portraits.json.blobs/\(recorded)"))))
        #expect(try Data(contentsOf: cassette) == before, "replay never writes the cassette")

        let mask = try run(["extract", Repository.fixture("astronaut.png").path, "--return-form", "mask", "--json", "--out", folder.path("out").path])
        #expect(mask.status == 0, "\(mask.stderrText)")
        #expect(mask.stdoutText.contains("b14e3719347bdfb7f188438d0f0b100754791866863eb610bd4cb12efcf7794e"))
    }

    @Test func anUnrecordedRequestFailsWithAMessageThatNamesIt() throws {
        let coffee = Repository.fixture("coffee.png")
        let result = try run(["extract", coffee.path, "--json", "--out", folder.path("out").path])
        #expect(result.status == 1)
        let line = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let error = try #require(line["error"] as? [String: Any])
        #expect(error["code"] as? String == "REPLAY_MISS")
        let message = try #require(error["message"] as? String)
        #expect(message.contains("POST"))
        #expect(message.contains("/api/cutout/portrait/avatar-extraction"))
        #expect(message.contains("cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"), "the image's hash")
        #expect(message.contains("--backend record"))
    }

    @Test func theCommittedCassetteHoldsNoKey() throws {
        let text = try String(contentsOf: cassette, encoding: .utf8)
        #expect(text.contains("<redacted>"))
        #expect(!text.contains("sk-loopback-recording-key"))
        let blobs = try FileManager.default.contentsOfDirectory(atPath: cassette.path + ".blobs")
        for blob in blobs {
            let data = try Data(contentsOf: URL(fileURLWithPath: cassette.path + ".blobs/" + blob))
            #expect(data.range(of: Data("sk-loopback-recording-key".utf8)) == nil)
        }
    }

    @Test func recordingThenReplayingGivesByteIdenticalFiles() throws {
        let server = try LoopbackServer()
        let recorded = folder.path("recorded.json")
        let input = Repository.fixture("coffee.png").path
        let record = try ChildProcess.run(assets, ["extract", input, "--backend", "record", "--cassette", recorded.path, "--store", folder.path("s1").path, "--out", folder.path("o1").path], environment: [
            "AILAB_API_KEY": "sk-test-SECRET-1234567890", "AILAB_API_BASE": server.baseURL.absoluteString, "ASSETS_BACKEND": nil,
        ])
        #expect(record.status == 0, "\(record.stderrText)")
        server.stop()
        let replay = try ChildProcess.run(assets, ["extract", input, "--backend", "replay", "--cassette", recorded.path, "--store", folder.path("s2").path, "--out", folder.path("o2").path], environment: [
            "AILAB_API_KEY": nil, "AILAB_API_BASE": server.baseURL.absoluteString, "ASSETS_BACKEND": nil,
        ])
        #expect(replay.status == 0, "\(replay.stderrText)")
        let first = try Data(contentsOf: folder.path("o1/coffee.head.png"))
        #expect(try Data(contentsOf: folder.path("o2/coffee.head.png")) == first)
        for (path, data) in [(recorded.path, try Data(contentsOf: recorded))] + (try FileManager.default.contentsOfDirectory(atPath: recorded.path + ".blobs").map { ($0, try Data(contentsOf: URL(fileURLWithPath: recorded.path + ".blobs/" + $0))) }) {
            #expect(data.range(of: Data("sk-test-SECRET-1234567890".utf8)) == nil, "\(path) holds the key")
        }
    }
}
