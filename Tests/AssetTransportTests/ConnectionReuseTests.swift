import AssetTransport
import Foundation
import TestSupport
import Testing

@Suite("CurlTransport reuses connections")
struct ConnectionReuseTests {
    let transport = CurlTransport()

    @Test func tenSequentialCallsUseOneConnection() async throws {
        let server = try KeepAliveServer()
        defer { server.stop() }
        var bodies: [String] = []
        for index in 1...10 {
            let response = try await transport.send(HTTPRequest(url: server.url("/item/\(index)")))
            #expect(response.status == 200)
            bodies.append(String(decoding: response.body, as: UTF8.self))
        }
        let empty = SHA256Hex.of(Data())
        #expect(bodies == (1...10).map { "\($0) /item/\($0) \(empty)" })
        #expect(server.connections == 1)
    }

    @Test func uploadsDownloadsAndCopiesShareTheConnection() async throws {
        let server = try KeepAliveServer()
        defer { server.stop() }
        let folder = TemporaryDirectory()
        let payload = deterministicBytes(70_000)

        let posted = try await transport.send(HTTPRequest(method: "POST", url: server.url("/bytes"), body: .bytes(payload)))
        let uploaded = try await transport.send(HTTPRequest(method: "POST", url: server.url("/file"), body: .file(Fixtures.jpeg)))
        let copy = transport
        let downloaded = try await copy.download(HTTPRequest(url: server.url("/download")), to: folder.path("answer.txt"), limit: 1 << 20)
        let multipart = try await transport.send(HTTPRequest(method: "POST", url: server.url("/form"), body: .multipart([.text("return_form", "mask")])))

        #expect(String(decoding: posted.body, as: UTF8.self) == "1 /bytes \(SHA256Hex.of(payload))")
        #expect(String(decoding: uploaded.body, as: UTF8.self) == "2 /file \(try SHA256Hex.ofFile(at: Fixtures.jpeg))")
        #expect(downloaded.status == 200)
        #expect(try String(contentsOf: folder.path("answer.txt"), encoding: .utf8) == "3 /download \(SHA256Hex.of(Data()))")
        #expect(multipart.status == 200 && String(decoding: multipart.body, as: UTF8.self).hasPrefix("4 /form "))
        #expect(server.connections == 1)
    }

    @Test func aFileBodyIsSentAgainWhenAReusedConnectionDies() async throws {
        // The second request is read whole, then its connection is closed without an answer:
        // libcurl retries it on a new connection, which needs the file body rewound.
        let server = try KeepAliveServer(hangUpOn: [2])
        defer { server.stop() }
        let first = try await transport.send(HTTPRequest(url: server.url("/first")))
        let second = try await transport.send(HTTPRequest(method: "POST", url: server.url("/upload"), body: .file(Fixtures.jpeg)))
        #expect(first.status == 200)
        #expect(String(decoding: second.body, as: UTF8.self) == "3 /upload \(try SHA256Hex.ofFile(at: Fixtures.jpeg))")
        #expect(server.connections == 2)
    }

    @Test func concurrentCallsEachGetTheirAnswer() async throws {
        let server = try KeepAliveServer()
        defer { server.stop() }
        let transport = self.transport
        let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 1...16 {
                group.addTask {
                    let response = try await transport.send(HTTPRequest(url: server.url("/item/\(index)")))
                    return (index, String(decoding: response.body, as: UTF8.self))
                }
            }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        #expect(bodies.count == 16)
        for (index, body) in bodies {
            #expect(body.hasSuffix(" /item/\(index) \(SHA256Hex.of(Data()))"))
        }
        // One connection per transfer running at once, at most; never one per call after that.
        let opened = server.connections
        #expect(opened >= 1 && opened <= 16)
        _ = try await transport.send(HTTPRequest(url: server.url("/after")))
        #expect(server.connections == opened)
    }
}
