import AssetTransport
import Foundation
import TestSupport
import Testing

@Suite("CurlTransport against the loopback server")
struct CurlTransportTests {
    let server: LoopbackServer
    let folder: TemporaryDirectory
    let transport = CurlTransport()

    init() async throws {
        server = try await LoopbackServer.start()
        folder = TemporaryDirectory()
    }

    @Test func multipartUploadArrivesByteForByte() async throws {
        let inMemory = deterministicBytes(5000)
        let request = HTTPRequest(method: "POST", url: server.url("/echo"), headers: [HTTPHeader("ailabapi-api-key", fakeKey)], body: .multipart([
            .text("return_form", "mask"),
            .text("note", "héllo wörld"),
            .file("image", Fixtures.jpeg, filename: "portrait.jpg", contentType: "image/jpeg"),
            MultipartPart(name: "extra", content: .data(inMemory, filename: "extra.bin", contentType: "application/octet-stream")),
        ]))
        let response = try await transport.send(request)
        #expect(response.status == 200)
        let echo = try Echo(response)
        #expect(echo.method == "POST")
        #expect(echo.contentType.hasPrefix("multipart/form-data; boundary="))
        #expect(echo.fields == ["return_form": "mask", "note": "héllo wörld"])
        #expect(echo.files == [
            Echo.File(name: "image", filename: "portrait.jpg", contentType: "image/jpeg",
                      sha256: try SHA256Hex.ofFile(at: Fixtures.jpeg), size: 61306),
            Echo.File(name: "extra", filename: "extra.bin", contentType: "application/octet-stream",
                      sha256: SHA256Hex.of(inMemory), size: 5000),
        ])
        #expect(echo.headerNames.contains("ailabapi-api-key"))
        #expect(echo.headerNames.contains("user-agent"))
        #expect(!echo.headerNames.contains("expect"))
    }

    @Test func bytesAndFileBodiesArriveWhole() async throws {
        let payload = deterministicBytes(70_000)
        let bytes = try await transport.send(HTTPRequest(method: "POST", url: server.url("/echo"), body: .bytes(payload)))
        #expect(try Echo(bytes).bodySha256 == SHA256Hex.of(payload))
        #expect(try Echo(bytes).bodyLength == 70_000)

        let file = try await transport.send(HTTPRequest(method: "POST", url: server.url("/echo"), body: .file(Fixtures.png)))
        #expect(try Echo(file).bodySha256 == SHA256Hex.ofFile(at: Fixtures.png))
    }

    @Test func downloadMatchesBySHA256() async throws {
        let destination = folder.path("bytes.bin")
        let response = try await transport.download(HTTPRequest(url: server.url("/bytes/300000")), to: destination, limit: 1 << 20)
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.headers[name: "content-length"] == "300000")
        #expect(try SHA256Hex.ofFile(at: destination) == SHA256Hex.of(deterministicBytes(300_000)))
        #expect(try folder.contents() == ["bytes.bin"])
    }

    @Test func downloadReplacesAnExistingFile() async throws {
        let destination = folder.path("old.bin")
        try Data(repeating: 1, count: 10_000).write(to: destination)
        _ = try await transport.download(HTTPRequest(url: server.url("/bytes/10")), to: destination, limit: 100)
        #expect(try Data(contentsOf: destination) == deterministicBytes(10))
    }

    @Test func emptyDownloadCreatesAnEmptyFile() async throws {
        let destination = folder.path("empty.bin")
        _ = try await transport.download(HTTPRequest(url: server.url("/bytes/0")), to: destination, limit: 100)
        #expect(try Data(contentsOf: destination).isEmpty)
    }

    @Test func errorStatusDownloadReturnsTheBodyAndWritesNothing() async throws {
        let destination = folder.path("missing.bin")
        let response = try await transport.download(HTTPRequest(url: server.url("/status/404")), to: destination, limit: 1 << 20)
        #expect(response.status == 404)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"status": 404}"#)
        #expect(try folder.contents().isEmpty)
    }

    @Test func errorStatusDownloadKeepsAt64KiBOfTheBody() async throws {
        let response = try await transport.download(HTTPRequest(url: server.url("/status/500?size=200000")), to: folder.path("x"), limit: 1 << 20)
        #expect(response.status == 500)
        #expect(response.body == deterministicBytes(64 * 1024))
        #expect(try folder.contents().isEmpty)
    }

    @Test func followsARedirectToTheFinalBody() async throws {
        let destination = folder.path("redirected.bin")
        let response = try await transport.download(HTTPRequest(url: server.url("/redirect?to=/bytes/1234")), to: destination, limit: 1 << 20)
        #expect(response.status == 200)
        #expect(response.headers[name: "Location"] == nil)
        #expect(try Data(contentsOf: destination) == deterministicBytes(1234))
    }

    @Test func stopsAfterFiveRedirects() async throws {
        let five = try await transport.send(HTTPRequest(url: server.url("/redirect-chain/4")))
        #expect(five.body == deterministicBytes(16))
        let error = await transportError { _ = try await transport.send(HTTPRequest(url: server.url("/redirect-chain/5"))) }
        #expect(error?.curlCode == 47)
    }

    @Test func redirectToAFileURLIsRefused() async throws {
        let destination = folder.path("passwd")
        let error = await transportError {
            _ = try await transport.download(HTTPRequest(url: server.url("/redirect?to=file:///etc/passwd")), to: destination, limit: 1 << 20)
        }
        #expect(error?.code == .schemeRefused)
        #expect(error?.message.contains("file:") == true)
        #expect(try folder.contents().isEmpty)
    }

    @Test func redirectToPlainHTTPElsewhereIsRefused() async throws {
        let error = await transportError {
            _ = try await transport.send(HTTPRequest(url: server.url("/redirect?to=http://example.com/x")))
        }
        #expect(error?.code == .schemeRefused)
        #expect(error?.message.contains("example.com") == true)
    }

    @Test func plainHTTPToANonLoopbackHostIsRefusedBeforeAnyNetwork() async throws {
        for url in ["http://example.com/", "http://10.0.0.1/x", "http://127.example.com/"] {
            let error = await transportError { _ = try await transport.send(HTTPRequest(url: URL(string: url)!)) }
            #expect(error?.code == .schemeRefused, "\(url)")
            #expect(error?.message.contains("https") == true)
        }
        for url in ["ftp://127.0.0.1/x", "file:///etc/passwd"] {
            let error = await transportError { _ = try await transport.send(HTTPRequest(url: URL(string: url)!)) }
            #expect(error?.code == .schemeRefused, "\(url)")
        }
        #expect(throws: Never.self) { try URLPolicy.check(URL(string: "http://example.com/")!, allowInsecureHTTP: true) }
        // Opted in, the transfer is attempted: it fails later, on a name that never resolves.
        var insecure = TransportConfiguration()
        insecure.allowInsecureHTTP = true
        let attempted = await transportError {
            _ = try await CurlTransport(configuration: insecure).send(HTTPRequest(url: URL(string: "http://assets-test.invalid/")!, timeout: .seconds(3)))
        }
        #expect(attempted.map { [.connection, .timeout].contains($0.code) } == true)
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "[::1]"] {
            #expect(throws: Never.self) { try URLPolicy.check(URL(string: "http://\(host):9/")!, allowInsecureHTTP: false) }
        }
    }

    @Test func bodyOverItsDeclaredLimitLeavesNoFile() async throws {
        let error = await transportError {
            _ = try await transport.download(HTTPRequest(url: server.url("/bytes/100000")), to: folder.path("big.bin"), limit: 1000)
        }
        #expect(error?.code == .tooLarge)
        #expect(try folder.contents().isEmpty)
    }

    @Test func chunkedBodyOverItsLimitIsCountedAndLeavesNoFile() async throws {
        let error = await transportError {
            _ = try await transport.download(HTTPRequest(url: server.url("/chunked/100000")), to: folder.path("big.bin"), limit: 50_000)
        }
        #expect(error?.code == .tooLarge)
        #expect(try folder.contents().isEmpty)
        let fits = folder.path("fits.bin")
        _ = try await transport.download(HTTPRequest(url: server.url("/chunked/50000")), to: fits, limit: 50_000)
        #expect(try Data(contentsOf: fits) == deterministicBytes(50_000))
    }

    @Test func truncatedBodyIsDetected() async throws {
        let error = await transportError {
            _ = try await transport.download(HTTPRequest(url: server.url("/truncated/10000")), to: folder.path("short.bin"), limit: 1 << 20)
        }
        #expect(error?.code == .truncated)
        #expect(error?.curlCode == 18)
        #expect(try folder.contents().isEmpty)
    }

    @Test func requestTimeoutIsReported() async throws {
        // /slow/10 would answer "ok" after 10 s: only a working timeout makes this throw.
        let error = await transportError {
            _ = try await transport.send(HTTPRequest(url: server.url("/slow/10"), timeout: .milliseconds(300)))
        }
        #expect(error?.code == .timeout)
        #expect(error?.curlCode == 28)
    }

    @Test func connectionRefusedIsAConnectionError() async throws {
        let port = server.port
        server.stop()
        let error = await transportError { _ = try await transport.send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(port)/")!)) }
        #expect(error?.code == .connection)
        #expect(error?.curlCode == 7)
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let destination = folder.path("slow.bin")
        let task = Task { try await transport.download(HTTPRequest(url: server.url("/slow/10")), to: destination, limit: 100) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        // Without the abort, the transfer would end in a 200 after 10 s and return normally.
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(try folder.contents().isEmpty)
    }

    @Test func eightParallelTransfersAreAllCorrect() async throws {
        let results = try await withThrowingTaskGroup(of: (Int, String, String).self) { group in
            for index in 1...8 {
                group.addTask {
                    let size = index * 40_000
                    let destination = folder.path("file-\(index).bin")
                    _ = try await transport.download(HTTPRequest(url: server.url("/bytes/\(size)")), to: destination, limit: 1 << 20)
                    let echo = try Echo(try await transport.send(HTTPRequest(method: "POST", url: server.url("/echo"), body: .multipart([.text("n", "\(index)")]))))
                    return (index, try SHA256Hex.ofFile(at: destination), echo.fields["n"] ?? "")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        for (index, sha, field) in results {
            #expect(sha == SHA256Hex.of(deterministicBytes(index * 40_000)))
            #expect(field == "\(index)")
        }
    }

    @Test func slowTransfersRunAtOnce() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { _ = try await transport.send(HTTPRequest(url: server.url("/slow/2"))) }
            }
            try await group.waitForAll()
        }
        // Transfers that blocked the cooperative pool (two threads here) would overlap at most two at a time.
        #expect(try await server.stats()["slow_peak"] == 8)
    }
}
