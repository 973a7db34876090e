import Metrics
import Synchronization

extension AssetManager {
    /// What this manager has done since it was made: the figures of one run.
    public struct Activity: Sendable, Hashable {
        public var hits: Int64
        public var misses: Int64
        /// Requests that reached the API, retries included.
        public var upstreamCalls: Int64
        public var retries: Int64
        /// Hits on successful extractions: calls that would have been billed.
        public var creditsSaved: Int64
        /// Hits answered by the shared tier (the fleet had the answer, this host did not).
        public var sharedHits: Int64 = 0
    }

    public var activity: Activity {
        Activity(
            hits: tally.hits.load(ordering: .relaxed), misses: tally.misses.load(ordering: .relaxed),
            upstreamCalls: tally.upstreamCalls.load(ordering: .relaxed), retries: tally.retries.load(ordering: .relaxed),
            creditsSaved: tally.creditsSaved.load(ordering: .relaxed), sharedHits: tally.sharedHits.load(ordering: .relaxed)
        )
    }
}

/// Lock-free counters behind ``AssetManager/Activity``, and the same events as swift-metrics
/// counters: `assets_cache_hits_total`, `assets_cache_misses_total`, `assets_upstream_calls_total`,
/// `assets_upstream_retries_total`, `assets_credits_saved_total` and `assets_shared_hits_total`.
final class Tally: Sendable {
    let hits = Atomic<Int64>(0)
    let misses = Atomic<Int64>(0)
    let upstreamCalls = Atomic<Int64>(0)
    let retries = Atomic<Int64>(0)
    let creditsSaved = Atomic<Int64>(0)
    let sharedHits = Atomic<Int64>(0)
    private let sharedCounter: Metrics.Counter
    private let hitCounter: Metrics.Counter
    private let missCounter: Metrics.Counter
    private let callCounter: Metrics.Counter
    private let retryCounter: Metrics.Counter
    private let savedCounter: Metrics.Counter

    init(metrics factory: any MetricsFactory) {
        hitCounter = Metrics.Counter(label: "assets_cache_hits_total", factory: factory)
        missCounter = Metrics.Counter(label: "assets_cache_misses_total", factory: factory)
        callCounter = Metrics.Counter(label: "assets_upstream_calls_total", factory: factory)
        retryCounter = Metrics.Counter(label: "assets_upstream_retries_total", factory: factory)
        savedCounter = Metrics.Counter(label: "assets_credits_saved_total", factory: factory)
        sharedCounter = Metrics.Counter(label: "assets_shared_hits_total", factory: factory)
    }

    /// A hit answered by the shared tier (counted as a hit by ``hit(savedCredit:)`` too).
    func sharedHit() {
        sharedHits.add(1, ordering: .relaxed)
        sharedCounter.increment()
    }

    func hit(savedCredit: Bool) {
        hits.add(1, ordering: .relaxed)
        hitCounter.increment()
        if savedCredit {
            creditsSaved.add(1, ordering: .relaxed)
            savedCounter.increment()
        }
    }

    func call(retries retried: Int64) {
        misses.add(1, ordering: .relaxed)
        upstreamCalls.add(1 + retried, ordering: .relaxed)
        retries.add(retried, ordering: .relaxed)
        missCounter.increment()
        callCounter.increment(by: 1 + retried)
        if retried > 0 { retryCounter.increment(by: retried) }
    }
}
