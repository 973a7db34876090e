import Foundation
import Testing
import TestSupport

/// The process dies (SIGKILL) after the API answered, while the results download; the next run
/// downloads them without a second call.
@Suite struct CrashResumeTests {
    let folder = TemporaryDirectory("cli-crash")
    let assets = Repository.product("assets")

    @Test func aKillDuringTheDownloadsCostsNoSecondCall() async throws {
        let server = try await LoopbackServer.start(arguments: ["--download-latency-ms", "1500"])
        let store = folder.path("store").path
        let input = Repository.fixture("grace_hopper.jpg").path
        var environment = ProcessInfo.processInfo.environment
        environment["AILAB_API_KEY"] = "sk-test-SECRET-1234567890"
        environment["AILAB_API_BASE"] = server.baseURL.absoluteString
        environment["ASSETS_BACKEND"] = nil

        let victim = Process()
        victim.executableURL = assets
        victim.arguments = ["extract", input, "--store", store, "--out", folder.path("out").path]
        victim.environment = environment
        victim.standardOutput = FileHandle.nullDevice
        victim.standardError = FileHandle.nullDevice
        try victim.run()

        // Wait (bounded) until the answer is in and its result is being downloaded.
        var stats: [String: Int] = [:]
        for _ in 0..<400 {
            stats = try await server.stats()
            if stats["downloads"] ?? 0 >= 1 { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(stats["extraction_calls"] == 1)
        #expect(stats["downloads"] == 1)
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        #expect(victim.terminationReason == .uncaughtSignal)

        let pending = try ChildProcess.run(assets, ["cache", "stats", "--json", "--store", store])
        let before = try #require(try JSONSerialization.jsonObject(with: pending.stdout) as? [String: Any])
        #expect(before["pending"] as? Int == 1, "the API's answer was committed before the downloads")
        #expect(before["entries"] as? Int == 0)

        let resumed = try ChildProcess.run(assets, ["extract", input, "--json", "--store", store, "--out", folder.path("out").path], environment: [
            "AILAB_API_KEY": "sk-test-SECRET-1234567890", "AILAB_API_BASE": server.baseURL.absoluteString, "ASSETS_BACKEND": nil,
        ])
        #expect(resumed.status == 0, "\(resumed.stderrText)")
        #expect(try await server.stats()["extraction_calls"] == 1, "no second call")
        #expect(try await server.stats()["downloads"] == 2)
        #expect(FileManager.default.fileExists(atPath: folder.path("out/grace_hopper.head.png").path))
        let verify = try ChildProcess.run(assets, ["cache", "verify", "--store", store])
        #expect(verify.status == 0)
    }
}
