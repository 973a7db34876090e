import AssetTransport
import Foundation
import Testing
import TestSupport

/// `extract --max-calls` and `serve --max-calls-per-day`, run as a person would on the mock.
@Suite(.serialized) struct SpendLimitCommandTests {
    let folder = TemporaryDirectory("cli-spend")
    let assets = Repository.product("assets")

    /// `FixturePhotos.distinct(count)` as files.
    func distinctPhotos(_ count: Int) throws -> [URL] {
        let inputs = folder.path("in")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        return try FixturePhotos.distinct(count).enumerated().map { index, bytes in
            let file = inputs.appendingPathComponent("photo-\(index).jpg")
            try bytes.write(to: file)
            return file
        }
    }

    @Test func maxCallsTwoOverFiveNewPhotosMakesTwoCallsAndRefusesThree() async throws {
        let photos = try distinctPhotos(5)
        let result = try await ChildProcess.run(
            assets, ["extract"] + photos.map(\.path) + ["--max-calls", "2", "--jobs", "1", "--json", "--out", folder.path("out").path],
            environment: ["ASSETS_STORE": folder.path("store").path, "ASSETS_BACKEND": "mock", "NO_COLOR": "1"]
        )
        #expect(result.status == 1)
        let lines = try result.lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(lines.count == 5)
        #expect(lines.filter { $0["cache"] as? String == "miss" }.count == 2)
        let refusals = lines.compactMap { $0["error"] as? [String: Any] }
        #expect(refusals.count == 3)
        #expect(refusals.allSatisfy { $0["code"] as? String == "SPEND_LIMIT_REACHED" && $0["class"] as? String == "credits" })

        let stats = try await ChildProcess.run(assets, ["cache", "stats", "--json", "--store", folder.path("store").path])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdoutText.utf8)) as? [String: Any])
        #expect(object["upstream_calls"] as? Int == 2)
        #expect(object["entries"] as? Int == 2)
    }

    @Test func maxCallsPerDaySurvivesARestartOfServe() async throws {
        let photos = try distinctPhotos(3)
        let store = folder.path("serve-store").path
        func start() async throws -> (BackgroundProcess, URL) {
            let server = try BackgroundProcess(assets, ["serve", "--port", "0", "--backend", "mock", "--store", store, "--max-calls-per-day", "1"],
                                               environment: ["ASSETS_CLIENT_KEYS": "client-1"])
            let first = try await server.firstLine()
            let match = try #require(first.wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/))
            return (server, try #require(URL(string: "http://127.0.0.1:\(match.1)/api/cutout/portrait/avatar-extraction")))
        }
        func upload(_ photo: URL, to url: URL) async throws -> HTTPResponse {
            try await CurlTransport().send(HTTPRequest(
                method: "POST", url: url, headers: [HTTPHeader("ailabapi-api-key", "client-1")],
                body: .multipart([MultipartPart(name: "image", content: .data(try Data(contentsOf: photo), filename: photo.lastPathComponent, contentType: "image/jpeg"))])
            ))
        }

        var (server, url) = try await start()
        #expect(try await upload(photos[0], to: url).status == 200)
        let refused = try await upload(photos[1], to: url)
        #expect(refused.status == 429)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("SPEND_LIMIT_REACHED"))
        #expect(try await upload(photos[0], to: url).status == 200, "a hit is always answered")
        _ = await server.terminate()

        (server, url) = try await start()
        let afterRestart = try await upload(photos[2], to: url)
        #expect(afterRestart.status == 429, "the day's count is in the store, not in the process")
        _ = await server.terminate()
    }
}
