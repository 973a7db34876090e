import AssetTransport
import Foundation
import Logging
import Metrics
import SharedTier

/// How an ``AssetManager`` retries, times out and caps its transfers.
public struct AssetManagerConfiguration: Sendable {
    /// Retries for transient API and download failures (4 attempts, about 1, 2, 4 s).
    public var retryPolicy = RetryPolicy()
    /// Timeouts and the download cap (32 MiB).
    public var transport = TransportConfiguration()
    /// How long a stored answer's result URLs are trusted for resuming its downloads. The API
    /// deletes them after 24 hours; an hour of margin covers clocks and slow downloads.
    public var resultURLLifetime: TimeInterval = 23 * 3600
    /// The most misses (photos not in the store) this manager fetches at once, each holding
    /// an upstream call or its downloads, a lock file and a temporary file. Further misses wait
    /// in line; hits never wait. 32 by default.
    public var maxConcurrentMisses = 32
    /// The most misses that wait for one of ``maxConcurrentMisses``. Past it, a miss fails at
    /// once with `ERROR_INSUFFICIENT_RESOURCES` (class `transient`, HTTP 503 when served):
    /// a flood of new photos is refused, not queued without end. 1,024 by default.
    public var maxQueuedMisses = 1024
    /// The most calls this manager makes to its engine, so that a loop in a client cannot
    /// spend a whole credit pack. Beyond it a miss fails with `SPEND_LIMIT_REACHED` (class
    /// `credits`, HTTP 429 when served) and no call is made; hits are always answered.
    public var spendLimit = SpendLimit()
    /// Where the manager logs: a miss (`info`), a retry (`warning`), a hit (`debug`), a failed
    /// call (`warning`), with the photo's name and hash, never a key. Logs nothing by default.
    public var logger = Logger(label: "assets", factory: { _ in SwiftLogNoOpLogHandler() })
    /// Where the manager's counters go (`assets_cache_hits_total`, `assets_cache_misses_total`,
    /// `assets_upstream_calls_total`, `assets_upstream_retries_total`,
    /// `assets_credits_saved_total`); `nil` for swift-metrics' global `MetricsSystem`.
    /// `assets serve` passes its Prometheus registry's factory, so `/metrics` shows them.
    public var metrics: (any MetricsFactory)?
    /// The shared tier (PostgreSQL catalog, S3 blobs) behind the store, for a fleet of hosts
    /// that pays once for each photo; `nil` for none. Needs a store.
    public var shared: SharedStorage?

    public init() {}
}

/// Caps on the calls an ``AssetManager`` makes to its engine. `nil` is no cap.
public struct SpendLimit: Sendable, Hashable {
    /// The most calls in the manager's life (a run of `assets extract`).
    public var maxCalls: Int?
    /// The most calls a UTC day, counted in the store's catalog: the cap holds across restarts
    /// and for every process on the store. Without a store, counted in memory.
    public var maxCallsPerDay: Int?

    public init(maxCalls: Int? = nil, maxCallsPerDay: Int? = nil) {
        self.maxCalls = maxCalls
        self.maxCallsPerDay = maxCallsPerDay
    }
}
