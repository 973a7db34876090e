import Synchronization

/// Caps how many API calls are in flight, so that a batch can keep more photos moving (their
/// downloads and commits) than it has calls to the API.
///
/// A batch installs one as ``current`` for its tasks; a call outside any batch is not limited.
final class CallLimiter: Sendable {
    @TaskLocal static var current: CallLimiter?

    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(permits: Int) {
        state = Mutex(State(available: max(1, permits)))
    }

    /// Runs `body` while holding one of the permits.
    func withPermit<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state -> Bool in
                guard state.available > 0 else {
                    state.waiters.append(continuation)
                    return false
                }
                state.available -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                return nil
            }
            // The permit passes straight to the next waiter.
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
