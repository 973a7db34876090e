import Foundation
import Synchronization

/// Hands the catalog's notifications to the tasks waiting for them, by payload.
///
/// A waiter waits for its payload or its time limit, whichever comes first; a notification
/// with no waiter is dropped (the waiters look at the catalog again after each wait anyway).
final class NotificationHub: Sendable {
    private struct State {
        var waiters: [UUID: (payload: String, continuation: CheckedContinuation<Void, Never>)] = [:]
        /// Waiters woken before they were registered (a race of the two tasks of a wait).
        var woken: Set<UUID> = []
        var listening = false
    }

    private let state = Mutex(State())

    /// Whether a connection LISTENs now; without one, waiters only poll.
    var isListening: Bool { state.withLock { $0.listening } }

    func listening(_ value: Bool) {
        state.withLock { $0.listening = value }
    }

    /// Wakes every waiter for `payload`.
    func deliver(_ payload: String) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let ids = state.waiters.filter { $0.value.payload == payload }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once `payload` is delivered, or after `limit`.
    func wait(for payload: String, upTo limit: Duration) async {
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let early = self.state.withLock { state -> Bool in
                        if state.woken.remove(id) != nil { return true }
                        state.waiters[id] = (payload, continuation)
                        return false
                    }
                    if early { continuation.resume() }
                }
            }
            group.addTask {
                // Cancelled (the payload came first): nothing to wake.
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                self.wake(id)
            }
            await group.next()
            group.cancelAll()
            // The other child: a continuation still waiting is woken, so the group can end.
            self.wake(id)
        }
        state.withLock { _ = $0.woken.remove(id) }
    }

    private func wake(_ id: UUID) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter.continuation }
            state.woken.insert(id)
            return nil
        }
        continuation?.resume()
    }
}
