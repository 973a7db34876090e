import Assets
import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Logging
import TestSupport
import Testing
@testable import AssetsServer
#if canImport(Glibc)
import Glibc
#endif

/// A mock API and a serve app in front of it, both listening on loopback ports of their own.
struct LiveServers {
    let mockURL: URL
    let serveURL: URL
    let mock: MockService
    let store: Store
    let manager: AssetManager

    static let clientKey = "live-client"

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// Starts both servers, runs `body`, and stops them.
    static func run(
        authentication: ClientAuthentication = .keys(ClientKeys([clientKey])),
        _ body: @Sendable (LiveServers) async throws -> Void
    ) async throws {
        let folder = TemporaryDirectory("assets-live")
        let store = try Store(at: folder.url.appendingPathComponent("store"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            let mockApp = MockServerApp(port: 0, logger: quietLogger)
            let mockURL = try await start(in: &group) { onListening in try await mockApp.run(onListening: onListening) }
            let mock = try #require(mockApp.server.service)

            // The remote backend, through libcurl, exactly as `assets serve --backend remote` makes it.
            let backend = Backend(name: "remote", transport: CurlTransport(), baseURL: mockURL, namespace: Backend.realNamespace, apiKey: "upstream-key")
            var configuration = AssetManagerConfiguration()
            configuration.retryPolicy = .none
            let manager = AssetManager(store: store, backend: backend, configuration: configuration)
            let serve = AssetsServerApp(
                manager: manager, configuration: AssetsServerConfiguration(authentication: authentication),
                port: 0, logger: quietLogger
            )
            let serveURL = try await start(in: &group) { onListening in try await serve.run(onListening: onListening) }

            defer { group.cancelAll() }
            try await body(LiveServers(mockURL: mockURL, serveURL: serveURL, mock: mock, store: store, manager: manager))
        }
        _ = folder
    }

    /// Runs a server in `group` and waits for the address it announces.
    private static func start(
        in group: inout ThrowingTaskGroup<Void, any Error>,
        _ run: @escaping @Sendable (@escaping @Sendable (URL) async -> Void) async throws -> Void
    ) async throws -> URL {
        let (addresses, continuation) = AsyncStream.makeStream(of: URL.self)
        group.addTask {
            defer { continuation.finish() }
            try await run { url in continuation.yield(url) }
        }
        for await url in addresses { return url }
        throw TransportError(.connection, "The server stopped before it announced its address.")
    }

    /// A multipart upload to the serve app, as a client SDK would send it.
    func upload(_ image: Data, key: String? = clientKey) -> AssetTransport.HTTPRequest {
        var headers: [HTTPHeader] = []
        if let key { headers.append(HTTPHeader("ailabapi-api-key", key)) }
        return AssetTransport.HTTPRequest(
            method: "POST", url: serveURL.appendingPathComponent("api/cutout/portrait/avatar-extraction"), headers: headers,
            body: .multipart([MultipartPart(name: "image", content: .data(image, filename: "photo.jpg", contentType: "image/jpeg"))])
        )
    }
}

/// Speaks HTTP/1.1 over a plain socket, to send what no well-behaved client would.
enum RawHTTP {
    /// Sends `head` (and nothing else) and returns what the server answers within `timeout`.
    static func exchange(port: Int, head: String, timeout: Duration = .seconds(5)) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TransportError(.connection, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TransportError(.connection, "connect() failed") }
        var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(head.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw TransportError(.connection, "send() failed") }
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer += buffer[0..<count]
            // The whole answer is in once the body announced by Content-Length is.
            if let text = String(bytes: answer, encoding: .utf8), let split = text.range(of: "\r\n\r\n"),
               let length = text[..<split.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") })
                .flatMap({ Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }),
               text.utf8.count - text[..<split.upperBound].utf8.count >= length {
                break
            }
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
