import Foundation
import Testing
import TestSupport

/// Result URLs the API should never give: a redirect to another scheme, or another scheme
/// outright. One call each, exit 1, a JSON error, nothing cached.
@Suite struct ResultURLFaultTests {
    let folder = TemporaryDirectory("cli-result-urls")
    let assets = Repository.product("assets")

    func extract(_ server: LoopbackServer) throws -> (ProcessResult, [String: Any]) {
        let result = try ChildProcess.run(assets, ["extract", Repository.fixture("grace_hopper.jpg").path, "--json", "--store", folder.path("store").path, "--out", folder.path("out").path], environment: [
            "AILAB_API_KEY": "sk-test-SECRET-1234567890", "AILAB_API_BASE": server.baseURL.absoluteString, "ASSETS_BACKEND": nil,
        ])
        let line = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        return (result, try #require(line["error"] as? [String: Any], "\(line)"))
    }

    func expectNothingCached() throws {
        let stats = try ChildProcess.run(assets, ["cache", "stats", "--json", "--store", folder.path("store").path])
        let object = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        #expect(object["entries"] as? Int == 0)
        #expect(object["pending"] as? Int == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.path("out/grace_hopper.head.png").path))
    }

    @Test func aResultRedirectedToAFileURLIsRefused() async throws {
        let server = try await LoopbackServer.start(arguments: ["--results-redirect-to", "file:///etc/passwd"])
        let (result, error) = try extract(server)
        #expect(result.status == 1)
        #expect(error["code"] as? String == "TRANSPORT_SCHEME_REFUSED")
        #expect(try await server.stats()["extraction_calls"] == 1)
        try expectNothingCached()
    }

    @Test func aResultURLWithAnotherSchemeIsNeverFetched() async throws {
        let server = try await LoopbackServer.start(arguments: ["--results-base", "ftp://127.0.0.1/results"])
        let (result, error) = try extract(server)
        #expect(result.status == 1)
        #expect(error["code"] as? String == "RESULT_URL_REFUSED")
        #expect(try await server.stats()["extraction_calls"] == 1)
        #expect(try await server.stats()["downloads"] == 0)
        try expectNothingCached()
    }
}
