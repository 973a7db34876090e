import Foundation
import Synchronization

/// Stops calling a tier that keeps failing, and tries it again after a pause.
///
/// After ``threshold`` transient failures in a row the breaker opens: calls fail at once,
/// without waiting for a timeout each, for ``cooldown``. Then one call goes through (half
/// open): its success closes the breaker, its failure opens it for another pause. So a host
/// notices that the tier is back within one pause, without a restart.
public final class CircuitBreaker: Sendable {
    public enum State: String, Sendable {
        case closed, open, halfOpen = "half-open"
    }

    public let threshold: Int
    public let cooldown: Duration
    private let clock = ContinuousClock()
    private let state = Mutex<(failures: Int, openedAt: ContinuousClock.Instant?, trial: Bool)>((0, nil, false))

    public init(threshold: Int = 3, cooldown: Duration = .seconds(5)) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
    }

    public var current: State {
        state.withLock { state in
            guard let opened = state.openedAt else { return .closed }
            return clock.now - opened >= cooldown ? .halfOpen : .open
        }
    }

    /// Whether a call may go now. While half open, only one at a time does.
    public func allows() -> Bool {
        state.withLock { state in
            guard let opened = state.openedAt else { return true }
            guard clock.now - opened >= cooldown, !state.trial else { return false }
            state.trial = true
            return true
        }
    }

    /// A call succeeded: the breaker closes.
    public func succeeded() {
        state.withLock { $0 = (0, nil, false) }
    }

    /// A call failed for a passing reason (not a configuration error).
    public func failed() {
        state.withLock { state in
            state.failures += 1
            if state.trial || state.failures >= threshold {
                state.openedAt = clock.now
            }
            state.trial = false
        }
    }
}
