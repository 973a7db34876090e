import Foundation
import HeadExtraction
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import AssetsServer

@Suite struct MockServerTests {
    let mock = MockService(baseURL: URL(string: "http://127.0.0.1:9")!)

    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let router = Router(context: AssetsRequestContext.self)
        MockServer(service: mock).addRoutes(to: router)
        return try await Application(router: router).test(.router) { client in try await body(client) }
    }

    @Test(arguments: [
        ("/__mock/faults", HTTPRequest.Method.get),
        ("/__mock/faults", .put),
        ("/__mock/counters", .get),
        ("/__mock/reset", .post),
    ])
    func controlRoutesRefuseClientsThatAreNotLocal(path: String, method: HTTPRequest.Method) async throws {
        // Router tests have no socket, so no peer address: that must count as not local.
        mock.faults.withLock { $0.headCount = 3 }
        let response = try await test { client in
            try await client.execute(uri: path, method: method, body: ByteBuffer(string: #"{"headCount": 0}"#))
        }
        #expect(response.status == .forbidden)
        #expect(mock.faults.value.headCount == 3)
    }

    @Test(arguments: ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
    func loopbackAddressesAreLocal(ip: String) throws {
        #expect(Loopback.contains(try SocketAddress(ipAddress: ip, port: 1234)))
    }

    @Test(arguments: ["10.0.0.1", "192.168.1.20", "8.8.8.8", "128.0.0.1", "::", "::2", "2001:db8::1", "::ffff:10.0.0.1", "fe80::1"])
    func otherAddressesAreNot(ip: String) throws {
        #expect(!Loopback.contains(try SocketAddress(ipAddress: ip, port: 1234)))
    }

    @Test func noAddressIsNotLocal() {
        #expect(!Loopback.contains(nil))
    }

    @Test func theAPIPathsAnswerLikeTheAPI() async throws {
        let image = try Form.fixture("grace_hopper.jpg")
        let (extraction, credits, download) = try await test { client in
            let extraction = try await client.execute(
                uri: "/api/cutout/portrait/avatar-extraction", method: .post, headers: Form.headers, body: Form.body(image: image)
            )
            let credits = try await client.execute(uri: "/api/common/query-credits", method: .get)
            let envelope = try WireEnvelope(extraction.body)
            let imageURL = try #require(envelope.data?.elements.first?.image_url)
            let url = try #require(URL(string: imageURL))
            let download = try await client.execute(uri: url.path, method: .get)
            return (extraction, credits, download)
        }
        #expect(extraction.status == .ok)
        #expect(credits.status == .ok)
        #expect(String(buffer: credits.body).contains("cutout_avatar_extraction"))
        #expect(download.status == .ok)
        #expect(download.headers[.contentType] == "image/png")
        #expect(Data(buffer: download.body).starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(mock.counters.value.extractionCalls == 1)
        #expect(mock.counters.value.creditsCalls == 1)
        #expect(mock.counters.value.downloads == 1)
    }

    @Test func formsAreReadWithTheirFieldsAndBrokenOnesRefused() async throws {
        let image = try Form.fixture("grace_hopper.jpg")
        let whole = Form.body(image: image)
        let cut = whole.getSlice(at: 0, length: whole.readableBytes - 20)!
        let json: HTTPFields = [.contentType: "application/json"]
        let path = "/api/cutout/portrait/avatar-extraction"
        let (mask, broken, notForm) = try await test { client in
            (
                try await client.execute(uri: path, method: .post, headers: Form.headers, body: Form.body(image: image, fields: [("return_form", "mask")])),
                try await client.execute(uri: path, method: .post, headers: Form.headers, body: cut),
                try await client.execute(uri: path, method: .post, headers: json, body: ByteBuffer(string: "{}"))
            )
        }
        #expect(mask.status == .ok)
        let url = try #require(try WireEnvelope(mask.body).data?.elements.first?.image_url)
        #expect(url.hasSuffix("-mask.png"))
        for response in [broken, notForm] {
            #expect(response.status == .badRequest)
            #expect(try WireEnvelope(response.body).error_detail.code == "MISSING_PARAMETERS")
        }
        #expect(mock.counters.value.extractionCalls == 3)
    }

    @Test func unknownPathsGetTheAPIs404Envelope() async throws {
        let response = try await test { client in try await client.execute(uri: "/api/nothing/here", method: .get) }
        #expect(response.status == .notFound)
        #expect(try WireEnvelope(response.body).error_detail.code == "ERROR_RESOURCE_NOT_FOUND")
    }

    @Test func beforeTheServiceIsInstalledTheAPIAnswers503() async throws {
        let router = Router(context: AssetsRequestContext.self)
        MockServer().addRoutes(to: router)
        let response = try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/api/common/query-credits", method: .get)
        }
        #expect(response.status == .serviceUnavailable)
    }
}
