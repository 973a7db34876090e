import Foundation
import Synchronization

/// A bounded set of threads that run one ``CurlTransport``'s blocking transfers.
///
/// A libcurl "easy" transfer blocks its thread for as long as it takes (up to its timeout), so
/// it cannot run on Swift's cooperative pool. Before this, each transfer started a thread of its
/// own: 300 concurrent misses in `assets serve` meant 300 threads, each with its stack and its
/// `/proc` files, and under a low file limit the thread library itself trapped. Now at most
/// ``maxThreads`` transfers of a transport run at once; the rest wait in order, without a
/// thread, and a transfer's timeout starts when it starts running.
///
/// Each transport has a pool of its own (its copies share it), so a transfer never waits for a
/// thread held by another transport's transfer, such as a test's client calling a server in the
/// same process. Threads are started on demand and end after ``idleLifetime`` without work.
public final class TransferThreads: Sendable {
    /// 32: enough for a serve's capped misses (each is one call, then its downloads at once)
    /// and for any `--jobs` a person gives, far below any file or thread limit.
    public static let defaultMaxThreads = 32

    /// How long a thread waits for work before it ends.
    public static let idleLifetime: TimeInterval = 30

    /// The most transfers that run at once.
    public let maxThreads: Int

    private struct State {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        var threads = 0
        var idle = 0
    }

    private let state: Mutex<State>
    private let wake = NSCondition()

    public init(maxThreads: Int) {
        self.maxThreads = max(1, maxThreads)
        state = Mutex(State())
    }

    /// Transfers waiting for a thread, not counting those running.
    public var waiting: Int { state.withLock { $0.queue.count - $0.head } }

    /// Runs `work` on one of the pool's threads, as soon as one is free.
    func submit(_ work: @escaping @Sendable () -> Void) {
        let start = state.withLock { state -> Bool in
            state.queue.append(work)
            guard state.idle == 0, state.threads < maxThreads else { return false }
            state.threads += 1
            return true
        }
        if start {
            let thread = Thread { [self] in loop() }
            thread.name = "assets.transfer"
            // Transfers need little stack: libcurl's and the callbacks' frames.
            thread.stackSize = 512 * 1024
            thread.start()
        } else {
            wake.lock()
            wake.signal()
            wake.unlock()
        }
    }

    private func loop() {
        while true {
            if let work = next() {
                work()
                continue
            }
            wake.lock()
            state.withLock { $0.idle += 1 }
            // Re-check under the condition's lock: a submit between `next()` and here signalled
            // before this thread waited.
            if state.withLock({ $0.queue.count > $0.head }) {
                state.withLock { $0.idle -= 1 }
                wake.unlock()
                continue
            }
            let woken = wake.wait(until: Date(timeIntervalSinceNow: Self.idleLifetime))
            let ends = state.withLock { state -> Bool in
                state.idle -= 1
                guard !woken, state.queue.count == state.head else { return false }
                state.threads -= 1
                return true
            }
            wake.unlock()
            if ends { return }
        }
    }

    private func next() -> (@Sendable () -> Void)? {
        state.withLock { state in
            guard state.head < state.queue.count else { return nil }
            let work = state.queue[state.head]
            state.head += 1
            if state.head > 64, state.head * 2 > state.queue.count {
                state.queue.removeFirst(state.head)
                state.head = 0
            }
            return work
        }
    }
}
