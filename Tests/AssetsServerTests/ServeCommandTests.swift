import AssetTransport
import Foundation
import Testing
import TestSupport

/// Runs the built `assets serve` and `assets mock-server` as a person would.
@Suite(.serialized) struct ServeCommandTests {
    let folder = TemporaryDirectory("cli-serve")
    let assets = Repository.product("assets")

    @Test func serveWithoutClientKeysRefusesToStart() async throws {
        let result = try await ChildProcess.run(
            assets, ["serve", "--port", "0", "--backend", "mock", "--store", folder.path("store").path],
            environment: ["ASSETS_CLIENT_KEYS": nil]
        )
        #expect(result.status == 2)
        #expect(result.stdoutText.isEmpty)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("Error: ") == true)
        #expect(result.stderrText.contains("ASSETS_CLIENT_KEYS"))
    }

    @Test func aKeysFileWithOnlyCommentsIsRefusedToo() async throws {
        let keys = folder.path("keys.txt")
        try Data("# nobody yet\n\n".utf8).write(to: keys)
        let result = try await ChildProcess.run(
            assets, ["serve", "--port", "0", "--backend", "mock", "--client-keys-file", keys.path, "--store", folder.path("store").path],
            environment: ["ASSETS_CLIENT_KEYS": nil]
        )
        #expect(result.status == 2)
        #expect(result.stderrText.split(separator: "\n").count == 1)
        #expect(result.stderrText.hasPrefix("Error: "))
    }

    @Test func serveAnnouncesItsPortFirstServesAndStopsOnSIGTERM() async throws {
        let keys = folder.path("keys.txt")
        try Data("# clients\nclient-from-file\n".utf8).write(to: keys)
        let server = try BackgroundProcess(assets, [
            "serve", "--port", "0", "--backend", "mock", "--client-keys-file", keys.path, "--store", folder.path("store").path,
        ])
        let first = try await server.firstLine()
        let match = try #require(first.wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/))
        let base = try #require(URL(string: "http://127.0.0.1:\(match.1)"))

        let image = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        let answer = try await CurlTransport().send(HTTPRequest(
            method: "POST", url: base.appendingPathComponent("api/cutout/portrait/avatar-extraction"),
            headers: [HTTPHeader("ailabapi-api-key", "client-from-file")],
            body: .multipart([MultipartPart(name: "image", content: .data(image, filename: "grace_hopper.jpg", contentType: "image/jpeg"))])
        ))
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("\(base.absoluteString)/blobs/"))

        let (status, stderr) = await server.terminate()
        #expect(status == 0)
        #expect(stderr.contains("status=200"), "the access log")
        #expect(!stderr.contains("client-from-file"), "keys never reach the log")
    }

    @Test func mockServerAnnouncesItsPortAndAnswersTheAPI() async throws {
        let server = try BackgroundProcess(assets, ["mock-server", "--port", "0"])
        let first = try await server.firstLine()
        let match = try #require(first.wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/))
        let credits = try await CurlTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(match.1)/api/common/query-credits")!))
        #expect(credits.status == 200)
        #expect(String(decoding: credits.body, as: UTF8.self).contains("cutout_avatar_extraction"))
        let (status, _) = await server.terminate()
        #expect(status == 0)
    }
}
