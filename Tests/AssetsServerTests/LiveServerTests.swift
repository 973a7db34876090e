import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Testing
import TestSupport
@testable import AssetsServer

/// The real thing: sockets, libcurl, a mock API on its own port as the upstream.
@Suite(.serialized) struct LiveServerTests {
    @Test func concurrentIdenticalUploadsShareOneUpstreamCallAndRepeatsMakeNone() async throws {
        let image = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        try await LiveServers.run { servers in
            // Slow enough that all 20 arrive while the first call is in flight.
            servers.mock.faults.withLock { $0.latencyMilliseconds = 400 }
            let client = CurlTransport()
            let request = servers.upload(image)
            let responses = try await withThrowingTaskGroup(of: AssetTransport.HTTPResponse.self) { group in
                for _ in 0..<20 { group.addTask { try await client.send(request) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.count == 20)
            #expect(responses.allSatisfy { $0.status == 200 })
            let urls = try responses.map { try #require(try Envelope.decode($0.body, httpStatus: $0.status).data?.elements?.first?.imageURL) }
            #expect(Set(urls).count == 1)
            #expect(servers.mock.counters.value.extractionCalls == 1)
            #expect(servers.mock.counters.value.downloads == 1)

            // A repeat is answered from the store.
            let repeated = try await client.send(request)
            #expect(repeated.status == 200)
            #expect(servers.mock.counters.value.extractionCalls == 1)

            // The permanent URL serves exactly the stored blob.
            let imageURL = try #require(urls.first.flatMap { URL(string: $0) })
            #expect(imageURL.absoluteString.hasPrefix(servers.serveURL.absoluteString + "/blobs/"))
            let download = try await client.send(AssetTransport.HTTPRequest(url: imageURL))
            #expect(download.status == 200)
            let hash = try #require(ContentHash(hex: String(imageURL.lastPathComponent.dropLast(4))))
            #expect(download.body == (try servers.store.blobs.read(hash)))
            #expect(ContentHash.of(download.body) == hash)
        }
    }

    @Test func refusalsCostNoUpstreamCall() async throws {
        try await LiveServers.run { servers in
            let client = CurlTransport()
            let image = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
            let unknownKey = try await client.send(servers.upload(image, key: "who-am-i"))
            #expect(unknownKey.status == 401)
            let gif = try await client.send(servers.upload(Data("GIF89a-not-really".utf8)))
            #expect(gif.status == 415)
            #expect(servers.mock.counters.value.extractionCalls == 0)
        }
    }

    @Test func withoutAuthenticationAKeylessUploadIsServedOverTheSocket() async throws {
        try await LiveServers.run(authentication: .none) { servers in
            let image = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
            let response = try await CurlTransport().send(servers.upload(image, key: nil))
            #expect(response.status == 200)
            #expect(try Envelope.decode(response.body, httpStatus: response.status).data?.elements?.count == 1)
            #expect(servers.mock.counters.value.extractionCalls == 1)
        }
    }

    @Test func anAnnouncedOversizedBodyIsRefusedBeforeItIsSent() async throws {
        try await LiveServers.run { servers in
            let port = try #require(servers.serveURL.port)
            // 50 MB announced, none sent: the answer can only come from the announced length.
            let answer = try RawHTTP.exchange(port: port, head: """
                POST /api/cutout/portrait/avatar-extraction HTTP/1.1\r
                Host: 127.0.0.1:\(port)\r
                ailabapi-api-key: \(LiveServers.clientKey)\r
                Content-Type: multipart/form-data; boundary=x\r
                Content-Length: 50000000\r
                \r

                """)
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.contains("\"FILE_SIZE_EXCEEDS_LIMIT\""))
            #expect(servers.mock.counters.value.extractionCalls == 0)
        }
    }

    @Test func theMockServerControlsWorkFromLoopback() async throws {
        try await LiveServers.run { servers in
            let client = CurlTransport()
            let put = try await client.send(AssetTransport.HTTPRequest(
                method: "PUT", url: servers.mockURL.appendingPathComponent("__mock/faults"),
                headers: [HTTPHeader("Content-Type", "application/json")], body: .bytes(Data(#"{"headCount": 0}"#.utf8))
            ))
            #expect(put.status == 200)
            #expect(servers.mock.faults.value.headCount == 0)

            // The no-face answer is the API's, and it is cached as a negative result.
            let image = try Data(contentsOf: Repository.fixture("astronaut.png"))
            for _ in 0..<2 {
                let answer = try await client.send(servers.upload(image))
                #expect(answer.status == 422)
                #expect(String(decoding: answer.body, as: UTF8.self).contains("ERROR_NO_FACE_IN_FILE"))
            }
            let counters = try await client.send(AssetTransport.HTTPRequest(url: servers.mockURL.appendingPathComponent("__mock/counters")))
            let decoded = try JSONDecoder().decode(MockCounters.self, from: counters.body)
            #expect(decoded.extractionCalls == 1)
        }
    }
}
