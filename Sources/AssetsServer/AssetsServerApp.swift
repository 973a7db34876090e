import Assets
import Foundation
import Hummingbird
import Logging

/// `assets serve`: the drop-in endpoint, permanent blob URLs, `/healthz` and `/metrics`.
///
/// ```swift
/// let server = AssetsServerApp(manager: manager, configuration: configuration, port: 0, logger: logger)
/// try await server.run { url in print("listening on \(url)") }
/// ```
///
/// Every request is logged (without headers) and timed into ``metrics``. SIGTERM or SIGINT stops
/// the server gracefully: requests in flight finish, then the manager's bookkeeping is flushed.
public struct AssetsServerApp: Sendable {
    public let manager: AssetManager
    public let configuration: AssetsServerConfiguration
    public let host: String
    public let port: Int
    public let logger: Logger
    public let metrics: ServerMetrics
    let bound = BoundAddress()

    /// - Parameters:
    ///   - host: the address to bind; `127.0.0.1` keeps the server local.
    ///   - port: the port, or 0 for a free one (reported to `run`'s `onListening`).
    public init(
        manager: AssetManager, configuration: AssetsServerConfiguration, host: String = "127.0.0.1", port: Int = 8080,
        logger: Logger = Logger(label: "assets.serve"), metrics: ServerMetrics = ServerMetrics()
    ) {
        self.manager = manager
        self.configuration = configuration
        self.host = host
        self.port = port
        self.logger = logger
        self.metrics = metrics
    }

    /// The routes, middleware included: what the server runs and what router tests exercise.
    public func makeRouter() -> Router<AssetsRequestContext> {
        let router = Router(context: AssetsRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: AccessLogMiddleware(logger: logger, metrics: metrics))
        addAssetRoutes(to: router, manager: manager, configuration: configuration, metrics: metrics, boundAddress: bound)
        addOperationRoutes(to: router, metrics: metrics, manager: manager)
        return router
    }

    /// Serves until SIGTERM or SIGINT, or until the calling task is cancelled.
    ///
    /// - Parameter onListening: called once with `http://HOST:PORT` when the socket is bound.
    /// - Throws: when the address cannot be bound.
    public func run(onListening: @escaping @Sendable (URL) async -> Void = { _ in }) async throws {
        defer { manager.flush() }
        try await ServerRunner.run(
            router: makeRouter(), host: host, port: port, serverName: "assets", logger: logger,
            bound: bound, collectBodies: (configuration.maxBodyBytes, { [keys = configuration.clientKeys] in keys.accepts($0.headerFields[ServerHeaders.apiKey]) }),
            onListening: onListening
        )
    }
}
