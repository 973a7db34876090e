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
    }

    public var activity: Activity {
        Activity(
            hits: tally.hits.load(ordering: .relaxed), misses: tally.misses.load(ordering: .relaxed),
            upstreamCalls: tally.upstreamCalls.load(ordering: .relaxed), retries: tally.retries.load(ordering: .relaxed),
            creditsSaved: tally.creditsSaved.load(ordering: .relaxed)
        )
    }
}

/// Lock-free counters behind ``AssetManager/Activity``.
final class Tally: Sendable {
    let hits = Atomic<Int64>(0)
    let misses = Atomic<Int64>(0)
    let upstreamCalls = Atomic<Int64>(0)
    let retries = Atomic<Int64>(0)
    let creditsSaved = Atomic<Int64>(0)

    func hit(savedCredit: Bool) {
        hits.add(1, ordering: .relaxed)
        if savedCredit { creditsSaved.add(1, ordering: .relaxed) }
    }

    func call(retries retried: Int64) {
        misses.add(1, ordering: .relaxed)
        upstreamCalls.add(1 + retried, ordering: .relaxed)
        retries.add(retried, ordering: .relaxed)
    }
}
