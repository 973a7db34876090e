import AssetStore
import Assets
import AssetTransport
import Foundation
import HeadExtraction
import HTTPTypes
import Hummingbird
import Logging
import HummingbirdTesting
import TestSupport
@testable import AssetsServer

/// A serve app over a temporary store and an in-process mock backend, for router tests.
struct ServerFixture {
    let folder = TemporaryDirectory("assets-server-test")
    let store: Store
    let mock = MockService()
    let manager: AssetManager
    let server: AssetsServerApp

    static let clientKey = "client-key-1"

    /// - Parameter authentication: by default, the keys ``clientKey`` and `second-key`.
    init(publicURL: URL? = nil, maxBodyBytes: Int? = nil, fit: FitMode = .never, authentication: ClientAuthentication? = nil) throws {
        store = try Store(at: folder.url.appendingPathComponent("store"))
        var configuration = AssetManagerConfiguration()
        configuration.retryPolicy = .none
        configuration.metrics = ServerMetrics().factory
        manager = AssetManager(
            store: store,
            backend: Backend(name: "mock", transport: mock, baseURL: mock.baseURL, namespace: "mock", apiKey: "upstream-key"),
            configuration: configuration
        )
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        server = AssetsServerApp(
            manager: manager,
            configuration: AssetsServerConfiguration(
                authentication: authentication ?? .keys(ClientKeys([Self.clientKey, "second-key"])),
                publicURL: publicURL, maxBodyBytes: maxBodyBytes, fit: fit
            ),
            logger: logger
        )
    }

    /// Runs `body` against the router, without a socket.
    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: server.makeRouter(), logger: server.logger)
        return try await app.test(.router) { client in try await body(client) }
    }

    var extractionCalls: Int { mock.counters.value.extractionCalls }
}

/// Request bodies as clients send them.
enum Form {
    static let boundary = "----assets-test-boundary-7MA4YWxkTrZu0gW"

    static var headers: HTTPFields {
        [.contentType: "multipart/form-data; boundary=\(boundary)"]
    }

    static func headers(key: String?) -> HTTPFields {
        var headers = Self.headers
        if let key { headers[HTTPField.Name("ailabapi-api-key")!] = key }
        return headers
    }

    /// A multipart body with `image` as a file part and optional text fields.
    static func body(image: Data, filename: String = "photo.jpg", fields: [(String, String)] = []) -> ByteBuffer {
        var data = Data()
        func line(_ text: String) { data.append(Data((text + "\r\n").utf8)) }
        line("--\(boundary)")
        line("Content-Disposition: form-data; name=\"image\"; filename=\"\(filename)\"")
        line("Content-Type: application/octet-stream")
        line("")
        data.append(image)
        data.append(Data("\r\n".utf8))
        for (name, value) in fields {
            line("--\(boundary)")
            line("Content-Disposition: form-data; name=\"\(name)\"")
            line("")
            line(value)
        }
        line("--\(boundary)--")
        return ByteBuffer(bytes: data)
    }

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: Repository.fixture(name))
    }
}

/// The legacy envelope as the tests read it.
struct WireEnvelope: Decodable {
    struct Detail: Decodable {
        var status_code: Int
        var code: String
        var code_message: String
        var message: String
    }
    struct Payload: Decodable {
        var elements: [Element]
    }
    struct Element: Decodable {
        var image_url: String
        var width: Int
        var height: Int
        var x: Int
        var y: Int
    }
    var request_id: String
    var log_id: String
    var error_code: Int
    var error_code_str: String
    var error_msg: String
    var error_detail: Detail
    var data: Payload?

    init(_ buffer: ByteBuffer) throws {
        self = try JSONDecoder().decode(WireEnvelope.self, from: Data(buffer: buffer))
    }
}
