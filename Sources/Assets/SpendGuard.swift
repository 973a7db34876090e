import AssetStore
import Foundation
import HeadExtraction
import Synchronization

/// Counts an ``AssetManager``'s engine calls against its ``SpendLimit``.
final class SpendGuard: Sendable {
    let limit: SpendLimit
    private let made = Atomic<Int>(0)
    /// Calls a day when there is no store to count them in.
    private let madeToday = Mutex<(day: String, calls: Int)>(("", 0))

    init(_ limit: SpendLimit) {
        self.limit = limit
    }

    /// Takes one call of the allowance, or throws `SPEND_LIMIT_REACHED` (no call may be made).
    func take(for name: String, store: Store?, now: Date = Date()) throws(APIError) {
        if let maxCalls = limit.maxCalls {
            var current = made.load(ordering: .relaxed)
            while true {
                guard current < maxCalls else {
                    throw Self.reached("\(name) was not sent: this run's limit of \(Self.calls(maxCalls)) is reached; raise the limit to send more.")
                }
                let (exchanged, original) = made.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
                if exchanged { break }
                current = original
            }
        }
        guard let maxCallsPerDay = limit.maxCallsPerDay else { return }
        let day = Catalog.spendDay(of: now)
        let taken: Bool
        if let store {
            do {
                taken = try store.catalog.takeDailyCall(day: day, limit: maxCallsPerDay)
            } catch {
                giveBackRunCall()
                throw (error as? StoreError).map(APIError.init) ?? APIError(code: "STORE_ERROR", errorClass: .internal, message: "The store cannot count today's calls: \(error).")
            }
        } else {
            taken = madeToday.withLock { state in
                if state.day != day { state = (day, 0) }
                guard state.calls < maxCallsPerDay else { return false }
                state.calls += 1
                return true
            }
        }
        guard taken else {
            giveBackRunCall()
            // A client may try again when the next UTC day begins.
            let untilTomorrow = 86_400 - Int(now.timeIntervalSince1970.rounded(.down)) % 86_400
            throw Self.reached("\(name) was not sent: today's limit of \(Self.calls(maxCallsPerDay)) (UTC) is reached; wait until tomorrow or raise the limit.", retryAfter: .seconds(untilTomorrow))
        }
    }

    private func giveBackRunCall() {
        if limit.maxCalls != nil { made.subtract(1, ordering: .relaxed) }
    }

    private static func calls(_ count: Int) -> String {
        count == 1 ? "1 call" : "\(count) calls"
    }

    private static func reached(_ message: String, retryAfter: Duration? = nil) -> APIError {
        APIError(code: "SPEND_LIMIT_REACHED", errorClass: .credits, message: message, httpStatus: 429, retryAfter: retryAfter)
    }
}
