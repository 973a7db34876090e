import AssetTransport
import Foundation
import TestSupport
import Testing

@Suite("Credentials and module boundaries")
struct TransportHygieneTests {
    let server: LoopbackServer
    let folder: TemporaryDirectory
    let transport = CurlTransport()

    init() async throws {
        server = try await LoopbackServer.start()
        folder = TemporaryDirectory()
    }

    private func keyed(_ url: URL, timeout: Duration? = nil) -> HTTPRequest {
        HTTPRequest(method: "GET", url: url, headers: [HTTPHeader("ailabapi-api-key", fakeKey), HTTPHeader("X-Other", "other-secret-value")], timeout: timeout)
    }

    @Test func errorsNeverContainAHeaderValue() async throws {
        var errors: [TransportError] = []
        let requests: [(HTTPRequest, Int64)] = [
            (keyed(URL(string: "http://example.com/")!), 1 << 20),
            (keyed(server.url("/redirect?to=file:///etc/passwd")), 1 << 20),
            (keyed(server.url("/slow/5"), timeout: .milliseconds(200)), 1 << 20),
            (keyed(server.url("/truncated/5000")), 1 << 20),
            (keyed(server.url("/bytes/5000")), 100),
        ]
        for (request, limit) in requests {
            if let error = await transportError({ _ = try await transport.download(request, to: folder.path("x"), limit: limit) }) {
                errors.append(error)
            }
        }
        let closedPort = server.port
        server.stop()
        if let error = await transportError({ _ = try await transport.send(keyed(URL(string: "http://127.0.0.1:\(closedPort)/")!)) }) {
            errors.append(error)
        }
        #expect(errors.count == 6)
        #expect(Set(errors.map(\.code)) == [.schemeRefused, .timeout, .truncated, .tooLarge, .connection])
        for error in errors {
            for text in [error.description, error.message, String(reflecting: error), "\(error)"] {
                #expect(!text.contains(fakeKey))
                #expect(!text.contains("SECRET"))
                #expect(!text.contains("other-secret-value"))
            }
        }
    }

    @Test func headersAreDroppedWhenARedirectLeavesTheOrigin() async throws {
        let sameOrigin = try Echo(try await transport.send(keyed(server.url("/redirect?to=/echo"))))
        #expect(sameOrigin.headerNames.contains("ailabapi-api-key"))

        // localhost and 127.0.0.1 are different origins, though the same server.
        let elsewhere = server.url("/redirect?to=http://localhost:\(server.port)/echo")
        let otherOrigin = try Echo(try await transport.send(keyed(elsewhere)))
        #expect(otherOrigin.method == "GET")
        #expect(!otherOrigin.headerNames.contains("ailabapi-api-key"))
        #expect(!otherOrigin.headerNames.contains("x-other"))
    }

    @Test func onlyTheCurlFilesImportCCurl() throws {
        let sources = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources", isDirectory: true)
        let allowed: Set<String> = [
            "AssetTransport/CurlEasy.swift",
            "AssetTransport/CurlEasy+Callbacks.swift",
            "AssetTransport/CurlShare.swift",
        ]
        let walker = try #require(FileManager.default.enumerator(atPath: sources.path))
        var swiftFiles = 0
        var importers: Set<String> = []
        for case let path as String in walker where path.hasSuffix(".swift") {
            swiftFiles += 1
            let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            let imports = text.split(separator: "\n").contains { line in
                let words = line.split(whereSeparator: \.isWhitespace)
                return words.firstIndex(of: "import").map { $0 + 1 < words.count && words[$0 + 1] == "CCurl" } ?? false
            }
            if imports { importers.insert(path) }
        }
        #expect(swiftFiles > 10)
        #expect(importers == allowed)
    }
}
