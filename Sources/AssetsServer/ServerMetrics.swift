import Assets
import Foundation
import Metrics
import Prometheus
import Synchronization

/// The server's Prometheus metrics: cache outcomes, upstream calls, errors by code and request
/// latency, in one registry that `GET /metrics` exports in the text format.
///
/// ```swift
/// let metrics = ServerMetrics()
/// addAssetRoutes(to: router, manager: manager, configuration: configuration, metrics: metrics)
/// print(metrics.exposition(activity: manager.activity))
/// ```
///
/// Nothing is bootstrapped globally: the registry and its swift-metrics factory are held here
/// and passed in, so two servers in one process keep separate figures.
/// - Important: Thread-safe.
public final class ServerMetrics: Sendable {
    /// The registry every metric of this server lives in.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let hits: Metrics.Counter
    private let misses: Metrics.Counter
    private let upstreamCalls: Prometheus.Counter
    private let retries: Prometheus.Counter
    private let creditsSaved: Prometheus.Counter
    /// The manager's figures at the last export, to turn them into counter increments.
    private let exported = Mutex(Exported())
    // Made once per label set: the registry's lookup takes a lock and builds strings.
    private let timers = Mutex<[TimerKey: Metrics.Timer]>([:])
    private let errorCounters = Mutex<[String: Metrics.Counter]>([:])
    private let connectionCounters = Mutex<[String: Metrics.Counter]>([:])

    private struct TimerKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct Exported {
        var upstreamCalls: Int64 = 0
        var retries: Int64 = 0
        var creditsSaved: Int64 = 0
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
        hits = Metrics.Counter(label: "assets_cache_hits_total", factory: factory)
        misses = Metrics.Counter(label: "assets_cache_misses_total", factory: factory)
        upstreamCalls = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "assets", metricName: "upstream_calls", unitName: "total", helpText: "Requests sent to the API, retries included."
        ))
        retries = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "assets", metricName: "upstream_retries", unitName: "total", helpText: "Retries of transient API failures."
        ))
        creditsSaved = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "assets", metricName: "credits_saved", unitName: "total", helpText: "Successful extractions answered without a billed call."
        ))
    }

    /// Counts one extraction answered from the store (or from a call already in flight), or not.
    public func recordExtraction(hit: Bool) {
        (hit ? hits : misses).increment()
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

    /// The text exposition, after bringing the upstream counters up to `activity`.
    public func exposition(activity: AssetManager.Activity?) -> [UInt8] {
        if let activity {
            exported.withLock { last in
                upstreamCalls.increment(by: max(0, activity.upstreamCalls - last.upstreamCalls))
                retries.increment(by: max(0, activity.retries - last.retries))
                creditsSaved.increment(by: max(0, activity.creditsSaved - last.creditsSaved))
                last = Exported(upstreamCalls: activity.upstreamCalls, retries: activity.retries, creditsSaved: activity.creditsSaved)
            }
        }
        return registry.emitToBuffer()
    }
}
