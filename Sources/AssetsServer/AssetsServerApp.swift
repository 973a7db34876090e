import Assets
import Foundation
import HeadExtraction
import Hummingbird
import Prometheus
import Logging
import NIOHTTP1
import Synchronization

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
    ///   - metrics: `nil` for metrics over the registry the manager counts into, when it was
    ///     made with a Prometheus factory (``Assets/AssetManagerConfiguration/metrics``), else
    ///     over a registry of their own (then `/metrics` lacks the manager's counters).
    public init(
        manager: AssetManager, configuration: AssetsServerConfiguration, host: String = "127.0.0.1", port: Int = 8080,
        logger: Logger = Logger(label: "assets.serve"), metrics: ServerMetrics? = nil
    ) {
        self.manager = manager
        self.configuration = configuration
        self.host = host
        self.port = port
        self.logger = logger
        self.metrics = metrics ?? ServerMetrics(registry: (manager.configuration.metrics as? PrometheusMetricsFactory)?.registry ?? PrometheusCollectorRegistry())
    }

    /// The routes, middleware included: what the server runs and what router tests exercise.
    public func makeRouter() -> Router<AssetsRequestContext> {
        let router = Router(context: AssetsRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: AccessLogMiddleware(logger: logger, metrics: metrics))
        addAssetRoutes(to: router, manager: manager, configuration: configuration, metrics: metrics, boundAddress: bound)
        addOperationRoutes(to: router, metrics: metrics)
        return router
    }

    /// Refuses an extraction request from its head alone, as the route would, without reading
    /// its body: a missing or unknown client key when keys are required (`401`), an announced body over the cap (`413`).
    static func screen(_ configuration: AssetsServerConfiguration) -> ConnectionGuard.Screen {
        let authentication = configuration.authentication
        let limit = configuration.maxBodyBytes
        return { head in
            guard head.method == .POST else { return nil }
            let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard path.hasSuffix(HeadExtractionAPI.extractionPath) else { return nil }
            if !authentication.admits(head.headers.first(name: HeadExtractionAPI.apiKeyHeader)) {
                return refusal(EnvelopeFailure(code: "ERROR_APPLICATIONS_NOT_EXISTS"))
            }
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > limit {
                return refusal(Upload.tooLarge(limit: limit))
            }
            return nil
        }
    }

    private static func refusal(_ failure: EnvelopeFailure) -> ConnectionGuard.Refusal {
        let envelope = Envelope.failure(
            code: failure.code, message: failure.message, status: failure.status,
            requestID: EnvelopeResponse.newID(), logID: EnvelopeResponse.newID()
        )
        return ConnectionGuard.Refusal(
            status: HTTPResponseStatus(statusCode: envelope.servedStatus), contentType: "application/json",
            body: Array(envelope.jsonData()), code: failure.code
        )
    }

    /// Serves until SIGTERM or SIGINT, or until the calling task is cancelled.
    ///
    /// - Parameter onListening: called once with `http://HOST:PORT` when the socket is bound.
    /// - Throws: when the address cannot be bound.
    public func run(onListening: @escaping @Sendable (URL) async -> Void = { _ in }) async throws {
        defer { manager.flush() }
        try await ServerRunner.run(
            router: makeRouter(), host: host, port: port, serverName: "assets", logger: logger,
            bound: bound, collectBodies: (configuration.maxBodyBytes, { [authentication = configuration.authentication] in authentication.admits($0.headerFields[ServerHeaders.apiKey]) }),
            limits: configuration.limits, screen: Self.screen(configuration),
            onConnectionEvent: { [metrics, logger, overLimit = OverLimitLog()] event, refusal in
                metrics.recordConnectionEvent(event.rawValue)
                if let refusal { metrics.recordError(code: refusal.code) }
                if event == .overLimit, let refused = overLimit.due() {
                    logger.warning("\(refused) connection(s) refused with 503: the server has \(configuration.limits.maxConnections) connections open (--max-connections)")
                }
            },
            onListening: onListening
        )
    }
}

/// Counts connections refused over the limit and says when to log them: at most once a second,
/// so that a flood does not become a flood of log lines.
final class OverLimitLog: Sendable {
    private let state = Mutex<(count: Int, last: ContinuousClock.Instant?)>((0, nil))

    /// Counts one; returns how many to report if a line is due now.
    func due() -> Int? {
        state.withLock { state in
            state.count += 1
            let now = ContinuousClock.now
            if let last = state.last, last.duration(to: now) < .seconds(1) { return nil }
            let count = state.count
            state = (0, now)
            return count
        }
    }
}
