import Synchronization

/// Caps how many API calls are in flight, so that a batch can keep more photos moving (their
/// downloads and commits) than it has calls to the API.
///
/// A batch installs one as ``current`` for its tasks; a call outside any batch is not limited.
/// An ``AssetManager`` keeps one more for every miss it runs (see
/// ``AssetManagerConfiguration/maxConcurrentMisses``), whose queue is bounded: past
/// `maxWaiting` waiters, ``withPermit(_:)`` throws ``Full`` at once instead of queueing.
final class CallLimiter: Sendable {
    @TaskLocal static var current: CallLimiter?

    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Bool, Never>] = []
    }

    /// Thrown by ``withPermit(_:)`` when every permit is taken and `maxWaiting` callers wait.
    struct Full: Error {}

    private let state: Mutex<State>
    private let maxWaiting: Int

    init(permits: Int, maxWaiting: Int = .max) {
        state = Mutex(State(available: max(1, permits)))
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Callers waiting for a permit now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Runs `body` while holding one of the permits.
    ///
    /// - Throws: ``Full`` without running `body` when the queue is full; else what `body` throws.
    func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        try await take()
        defer { release() }
        return try await body()
    }

    /// Takes a permit, waiting in line for one, for a caller that may hold it past its own
    /// return (a plugin still working on a request its caller gave up on); the caller gives
    /// it back with ``release()``, once.
    ///
    /// - Throws: ``Full`` when the queue is full.
    func take() async throws(Full) {
        guard await acquire() else { throw Full() }
    }

    /// Takes a permit, waiting in line for one; `false` when the line is full.
    private func acquire() async -> Bool {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state -> Bool? in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                guard state.waiters.count < maxWaiting else { return false }
                state.waiters.append(continuation)
                return nil
            }
            if let granted { continuation.resume(returning: granted) }
        }
    }

    /// Gives back a permit taken with ``take()``.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                return nil
            }
            // The permit passes straight to the next waiter.
            return state.waiters.removeFirst()
        }
        next?.resume(returning: true)
    }
}
