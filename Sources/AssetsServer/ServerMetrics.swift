import Assets
import Foundation
import Metrics
import Prometheus
import Synchronization

/// The server's Prometheus metrics, in one registry that `GET /metrics` exports in the text
/// format: errors by code, connection events and request latency from the server, and the
/// manager's own counters (hits, misses, upstream calls, retries, credits saved) when the
/// manager was made with this registry's ``factory``.
///
/// ```swift
/// let metrics = ServerMetrics()
/// var configuration = AssetManagerConfiguration()
/// configuration.metrics = metrics.factory
/// let manager = AssetManager(store: store, engine: engine, configuration: configuration)
/// addAssetRoutes(to: router, manager: manager, configuration: serverConfiguration, metrics: metrics)
/// ```
///
/// Nothing is bootstrapped globally: the registry and its swift-metrics factory are held here
/// and passed in, so two servers in one process keep separate figures.
/// - Important: Thread-safe.
public final class ServerMetrics: Sendable {
    /// The registry every metric of this server lives in.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory over ``registry``: pass it to the manager
    /// (``Assets/AssetManagerConfiguration/metrics``) so that `/metrics` shows its counters.
    public let factory: PrometheusMetricsFactory
    // Made once per label set: the registry's lookup takes a lock and builds strings.
    private let timers = Mutex<[TimerKey: Metrics.Timer]>([:])
    private let errorCounters = Mutex<[String: Metrics.Counter]>([:])
    private let connectionCounters = Mutex<[String: Metrics.Counter]>([:])

    private struct TimerKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// The latency buckets: the hit path takes about a millisecond, a miss up to minutes.
    public static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
    }

    /// Counts one failure answered with `code`.
    public func recordError(code: String) {
        increment(errorCounters, label: "assets_errors_total", dimension: "code", value: code)
    }

    /// Counts a connection closed or refused by the server's limits: `idle`, `header` and
    /// `body` timeouts, `refused` requests (answered from their head), `over_limit` connections.
    public func recordConnectionEvent(_ event: String) {
        increment(connectionCounters, label: "assets_connection_events_total", dimension: "event", value: event)
    }

    /// Increments the counter `label{dimension="value"}`, made once and kept in `counters`.
    private func increment(_ counters: borrowing Mutex<[String: Metrics.Counter]>, label: String, dimension: String, value: String) {
        let counter = counters.withLock { counters in
            if let counter = counters[value] { return counter }
            let counter = Metrics.Counter(label: label, dimensions: [(dimension, value)], factory: factory)
            counters[value] = counter
            return counter
        }
        counter.increment()
    }

    /// Records one request's latency under its route pattern, method and status.
    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let key = TimerKey(route: route, method: method, status: status)
        let timer = timers.withLock { timers in
            if let timer = timers[key] { return timer }
            let timer = Metrics.Timer(
                label: "assets_http_request_duration_seconds",
                dimensions: [("route", route), ("method", method), ("status", String(status))],
                factory: factory
            )
            timers[key] = timer
            return timer
        }
        timer.record(duration: duration)
    }

    /// The text exposition of every metric in ``registry``.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
