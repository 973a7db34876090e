import Foundation
import HeadExtraction
import Hummingbird
import Logging

/// `assets mock-server`: the simulated API on a port, for development and for tests.
///
/// ```swift
/// let app = MockServerApp(port: 0)
/// try await app.run { url in print("listening on \(url)") }
/// ```
///
/// The ``HeadExtraction/MockService`` is made once the port is known, so that the result URLs
/// in its answers point at this server.
public struct MockServerApp: Sendable {
    public let host: String
    public let port: Int
    public let logger: Logger
    /// The routes; its ``MockServer/service`` exists once the server is listening.
    public let server = MockServer()
    let bound = BoundAddress()

    public init(host: String = "127.0.0.1", port: Int = 8081, logger: Logger = Logger(label: "assets.mock-server")) {
        self.host = host
        self.port = port
        self.logger = logger
    }

    func makeRouter() -> Router<AssetsRequestContext> {
        let router = Router(context: AssetsRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: AccessLogMiddleware(logger: logger))
        server.addRoutes(to: router)
        return router
    }

    /// Serves until SIGTERM or SIGINT, or until the calling task is cancelled.
    ///
    /// - Parameter onListening: called once with `http://HOST:PORT` when the socket is bound
    ///   and the mock is ready.
    public func run(onListening: @escaping @Sendable (URL) async -> Void = { _ in }) async throws {
        let server = server
        try await ServerRunner.run(
            router: makeRouter(), host: host, port: port, serverName: "assets-mock", logger: logger, bound: bound,
            onListening: { url in
                server.install(MockService(baseURL: url))
                await onListening(url)
            }
        )
    }
}
