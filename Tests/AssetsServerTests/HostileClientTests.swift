import AssetTransport
import Foundation
import HeadExtraction
import Testing
import TestSupport

/// `assets serve` against clients that misbehave on purpose: floods of idle connections,
/// slowloris heads, stalled bodies, bodies after a refusal, HTTP/1.0. Each test runs the built
/// executable in a child process, most under a lowered open-file limit (soft and hard), with
/// short timeouts so that each takes seconds; every wait is bounded.
@Suite(.serialized) struct HostileClientTests {
    let folder = TemporaryDirectory("hostile-clients")
    let assets = Repository.product("assets")
    static let key = "client-key-1"
    static let extraction = "/api/cutout/portrait/avatar-extraction"

    /// Starts `assets serve` with the mock backend, `ulimit -n fileLimit` if given.
    func serve(fileLimit: Int? = nil, _ extra: [String] = []) async throws -> (server: BackgroundProcess, port: Int) {
        let arguments = ["serve", "--port", "0", "--backend", "mock", "--store", folder.path("store").path] + extra
        let server: BackgroundProcess
        if let fileLimit {
            // `ulimit -n` in sh sets the soft and the hard limit: the server cannot raise it.
            server = try BackgroundProcess(
                URL(fileURLWithPath: "/bin/sh"), ["-c", "ulimit -n \(fileLimit) && exec \"$0\" \"$@\"", assets.path] + arguments,
                environment: ["ASSETS_CLIENT_KEYS": Self.key]
            )
        } else {
            server = try BackgroundProcess(assets, arguments, environment: ["ASSETS_CLIENT_KEYS": Self.key])
        }
        let first = try await server.firstLine()
        let match = try #require(first.wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/))
        return (server, Int(match.1)!)
    }

    /// A real upload through libcurl: the server still does its job.
    func upload(port: Int) async throws -> Int {
        let image = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        let answer = try await CurlTransport().send(HTTPRequest(
            method: "POST", url: URL(string: "http://127.0.0.1:\(port)\(Self.extraction)")!,
            headers: [HTTPHeader("ailabapi-api-key", Self.key)],
            body: .multipart([MultipartPart(name: "image", content: .data(image, filename: "grace_hopper.jpg", contentType: "image/jpeg"))])
        ))
        return answer.status
    }

    @Test func aFloodOfIdleConnectionsPastTheFileLimitGets503AndTheServerLives() async throws {
        // 800 connections against 256 files: before, the process ran out of files and died
        // (SIGILL). Connections over the limit are answered and closed at once: lingering, they
        // would hold the files the limit keeps free (a CI run caught that).
        let (server, port) = try await serve(fileLimit: 256, ["--idle-timeout", "3"])
        var connections: [RawConnection] = []
        for _ in 0..<800 {
            guard let connection = try? RawConnection(port: port) else { continue }
            connections.append(connection)
        }
        var refused = 0
        for connection in connections {
            let answer = connection.receive(timeout: .milliseconds(20)) { $0.holdsHTTPHead }
            if answer.text.hasPrefix("HTTP/1.1 503") {
                refused += 1
                #expect(answer.text.lowercased().contains("retry-after: 1"))
            }
        }
        #expect(refused > 0, "connections past the limit are answered 503")
        if !server.isRunning {
            let (status, stderr) = await server.terminate()
            Issue.record("assets serve died (status \(status)): \(stderr.split(separator: "\n").filter { !$0.contains("refused with 503") }.suffix(30).joined(separator: "\n"))")
            return
        }
        // The admitted ones are closed once idle for 3 s.
        let admitted = try #require(connections.first)
        #expect(admitted.receive(timeout: .seconds(15)).closed)
        for connection in connections { connection.close() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await upload(port: port) == 200)
        let (status, stderr) = await server.terminate()
        #expect(status == 0, "exits cleanly on SIGTERM: \(stderr.suffix(400))")
        #expect(stderr.contains("refused with 503"))
    }

    @Test func threeHundredConcurrentDistinctMissesUnderALowFileLimitAreAnsweredOrRefused() async throws {
        // Before, 300 concurrent distinct misses held about 5 files and a thread each, and the
        // process died at the 1,024-file limit. Now they wait for a few miss slots (or get 503).
        let mock = try BackgroundProcess(assets, ["mock-server", "--port", "0"])
        let mockMatch = try #require(try await mock.firstLine().wholeMatch(of: /listening on (http:\/\/127\.0\.0\.1:\d+)/))
        let mockURL = try #require(URL(string: String(mockMatch.1)))
        let client = CurlTransport()
        let faults = try await client.send(HTTPRequest(
            method: "PUT", url: mockURL.appendingPathComponent("__mock/faults"),
            headers: [HTTPHeader("Content-Type", "application/json")], body: .bytes(Data(#"{"latencyMilliseconds": 200}"#.utf8))
        ))
        #expect(faults.status == 200)

        let arguments = ["serve", "--port", "0", "--backend", "remote", "--api-base", mockURL.absoluteString, "--store", folder.path("store").path]
        let server = try BackgroundProcess(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "ulimit -n 512 && exec \"$0\" \"$@\"", assets.path] + arguments,
            environment: ["ASSETS_CLIENT_KEYS": Self.key, "AILAB_API_KEY": "upstream-key-for-the-mock"]
        )
        let match = try #require(try await server.firstLine().wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/))
        let port = Int(match.1)!

        var connections: [RawConnection] = []
        for index in 0..<300 {
            // Each its own size, so each its own bytes.
            let (width, height) = (40 + index % 50, 40 + index / 50)
            let pixels = (0..<(width * height)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let image = try PNGCodec.encode(width: width, height: height, pixels: pixels, format: .gray)
            let boundary = "hostile\(index)"
            var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p\(index).png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            body += image
            body += Array("\r\n--\(boundary)--\r\n".utf8)
            guard let connection = try? RawConnection(port: port) else { continue }
            connection.send("POST \(Self.extraction) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nailabapi-api-key: \(Self.key)\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(body.count)\r\n\r\n")
            connection.send(body)
            connections.append(connection)
        }
        var answered = 0
        var refused = 0
        for connection in connections {
            let answer = connection.receive(timeout: .seconds(120))
            if answer.text.hasPrefix("HTTP/1.1 200") { answered += 1 } else if answer.text.hasPrefix("HTTP/1.1 503") { refused += 1 }
        }
        #expect(server.isRunning, "the server survived")
        #expect(answered + refused == connections.count, "every request got 200 or 503")
        #expect(answered >= 200)
        let counters = try await client.send(HTTPRequest(url: mockURL.appendingPathComponent("__mock/counters")))
        let calls = try #require(try JSONSerialization.jsonObject(with: counters.body) as? [String: Any])["extractionCalls"] as? Int
        #expect(calls == answered, "one call per answered photo; a refused one cost nothing")
        #expect(try await upload(port: port) == 200)
        let (status, _) = await server.terminate()
        #expect(status == 0)
        _ = await mock.terminate()
    }

    @Test func aSlowlorisHeadIsAnswered408AndClosed() async throws {
        let (server, port) = try await serve(["--header-timeout", "1"])
        let connection = try RawConnection(port: port)
        let padding = String(repeating: "a", count: 200)
        let head = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: \(padding)".utf8)
        var answer = RawConnection.Received(bytes: [], closed: false)
        // A byte every 100 ms: the head would take 23 s.
        for byte in head {
            guard connection.send([byte]) else { break }
            answer = connection.receive(timeout: .milliseconds(100))
            if answer.closed || !answer.bytes.isEmpty { break }
        }
        if !answer.closed {
            let rest = connection.receive(timeout: .seconds(5))
            answer = RawConnection.Received(bytes: answer.bytes + rest.bytes, closed: rest.closed)
        }
        #expect(answer.text.hasPrefix("HTTP/1.1 408"), "\(answer.text)")
        #expect(answer.closed || connection.receive(timeout: .seconds(5)).closed)
        #expect(try await upload(port: port) == 200)
        _ = await server.terminate()
    }

    @Test func aStalledUploadIsCutOffAtTheBodyTimeout() async throws {
        let (server, port) = try await serve(["--body-timeout", "1"])
        let connection = try RawConnection(port: port)
        connection.send("POST \(Self.extraction) HTTP/1.1\r\nHost: x\r\nailabapi-api-key: \(Self.key)\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 3000000\r\n\r\n")
        connection.send([UInt8](repeating: 0x61, count: 100_000))
        let answer = connection.receive(timeout: .seconds(10))
        #expect(answer.text.hasPrefix("HTTP/1.1 408"), "\(answer.text)")
        #expect(answer.closed)
        _ = await server.terminate()
    }

    @Test func expect100ContinueIsAnsweredForAKnownKeyOnly() async throws {
        let (server, port) = try await serve()
        let known = try RawConnection(port: port)
        known.send("POST \(Self.extraction) HTTP/1.1\r\nHost: x\r\nailabapi-api-key: \(Self.key)\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n")
        let go = known.receive(timeout: .seconds(5)) { $0.holdsHTTPHead }
        #expect(go.text.hasPrefix("HTTP/1.1 100 Continue"), "\(go.text)")

        let unknown = try RawConnection(port: port)
        unknown.send("POST \(Self.extraction) HTTP/1.1\r\nHost: x\r\nailabapi-api-key: nobody\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n")
        let refused = unknown.receive(timeout: .seconds(5))
        #expect(refused.text.hasPrefix("HTTP/1.1 401"), "\(refused.text)")
        #expect(refused.text.contains("ERROR_APPLICATIONS_NOT_EXISTS"))
        #expect(refused.closed, "closed at once: the client sends no body")

        let tooLarge = try RawConnection(port: port)
        tooLarge.send("POST \(Self.extraction) HTTP/1.1\r\nHost: x\r\nailabapi-api-key: \(Self.key)\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n")
        let large = tooLarge.receive(timeout: .seconds(5))
        #expect(large.text.hasPrefix("HTTP/1.1 413"), "\(large.text)")
        #expect(large.closed)
        _ = await server.terminate()
    }

    @Test(arguments: [("nobody", "HTTP/1.1 401"), (HostileClientTests.key, "HTTP/1.1 413")])
    func anEarlyRefusalReadsLittleOfTheBodyThenCloses(key: String, status: String) async throws {
        let (server, port) = try await serve()
        let connection = try RawConnection(port: port)
        connection.send("POST \(Self.extraction) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nailabapi-api-key: \(key)\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 40000000\r\n\r\n")
        // Keep sending: the server must stop reading, answer and close, not swallow 40 MB.
        var sent = 0
        while sent < 40_000_000, connection.send([UInt8](repeating: 0x61, count: 65536)) {
            sent += 65536
        }
        let answer = connection.receive(timeout: .seconds(5))
        #expect(sent < 10_000_000, "the server stopped reading after \(sent) bytes")
        #expect(answer.closed)
        _ = await server.terminate()
    }

    @Test func anEarlyRefusalIsSeenByAClientThatWaitsForIt() async throws {
        let (server, port) = try await serve()
        let connection = try RawConnection(port: port)
        connection.send("POST \(Self.extraction) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nailabapi-api-key: nobody\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 3000000\r\n\r\n")
        connection.send([UInt8](repeating: 0x61, count: 1000))
        let answer = connection.receive(timeout: .seconds(5))
        #expect(answer.text.hasPrefix("HTTP/1.1 401"), "\(answer.text)")
        #expect(answer.text.lowercased().contains("connection: close"))
        #expect(answer.closed, "closed, not left hanging")
        _ = await server.terminate()
    }

    @Test func anHTTP10ConnectionIsClosedAfterItsAnswer() async throws {
        let (server, port) = try await serve()
        let connection = try RawConnection(port: port)
        connection.send("GET /healthz HTTP/1.0\r\n\r\n")
        let answer = connection.receive(timeout: .seconds(5))
        #expect(answer.text.hasPrefix("HTTP/1.1 200"))
        #expect(answer.text.hasSuffix("ok\n"))
        #expect(answer.closed)

        // HTTP/1.1 keeps the connection for a second request.
        let kept = try RawConnection(port: port)
        kept.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = kept.receive(timeout: .seconds(5)) { $0.count > 0 && String(decoding: $0, as: UTF8.self).hasSuffix("ok\n") }
        #expect(!first.closed)
        kept.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let second = kept.receive(timeout: .seconds(5))
        #expect(second.text.hasPrefix("HTTP/1.1 200"))
        #expect(second.closed)
        _ = await server.terminate()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let (server, port) = try await serve()
        let connection = try RawConnection(port: port)
        connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let answer = connection.receive(timeout: .seconds(5))
        let statuses = answer.text.matches(of: /HTTP\/1\.1 \d{3}/).map { String($0.output) }
        #expect(statuses == ["HTTP/1.1 200", "HTTP/1.1 404", "HTTP/1.1 200"])
        #expect(answer.closed)
        _ = await server.terminate()
    }
}
