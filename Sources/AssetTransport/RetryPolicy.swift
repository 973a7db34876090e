import Foundation

/// How often and how patiently a transient failure is tried again.
///
/// The default is 4 attempts in all, waiting about 1, 2 and 4 s between them, each wait
/// stretched by up to 25 % of random jitter. A `Retry-After` from the server replaces the
/// computed wait (capped by ``maxDelay``). Tests shrink ``baseDelay`` to milliseconds.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The wait before the second attempt; each later wait doubles.
    public var baseDelay: Duration
    /// Random extra wait, as a fraction of the computed wait.
    public var jitter: Double
    /// The longest wait, also for `Retry-After`.
    public var maxDelay: Duration

    public init(maxAttempts: Int = 4, baseDelay: Duration = .seconds(1), jitter: Double = 0.25, maxDelay: Duration = .seconds(60)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.jitter = jitter
        self.maxDelay = maxDelay
    }

    /// A single attempt: never retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before attempt `attempt` (2 for the first retry).
    public func delay(beforeAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        if let retryAfter { return min(retryAfter, maxDelay) }
        let exponent = max(0, attempt - 2)
        let base = baseDelay * Double(1 << min(exponent, 20))
        let stretched = base * (1 + Double.random(in: 0...max(0, jitter)))
        return min(stretched, maxDelay)
    }

    /// Parses a `Retry-After` value: delta-seconds or an HTTP-date.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSince(now) * 1000)))
    }
}

/// What to do after a failed attempt.
public enum RetryDecision: Sendable, Hashable {
    /// Give up and rethrow.
    case fail
    /// Try again, after the server's `Retry-After` if it sent one.
    case retry(retryAfter: Duration?)
}

extension RetryPolicy {
    /// Runs `operation` until it succeeds, `classify` says `.fail`, or the attempts run out.
    ///
    /// - Parameters:
    ///   - classify: decides for each error whether it is worth another attempt.
    ///   - onRetry: called before each wait with the attempt that failed and its error.
    ///   - operation: receives the attempt number, starting at 1.
    /// - Throws: the last error, or `CancellationError` if the task is cancelled while waiting.
    public func run<T: Sendable>(
        classify: (any Error) -> RetryDecision,
        onRetry: (_ failedAttempt: Int, _ error: any Error) -> Void = { _, _ in },
        _ operation: (_ attempt: Int) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation(attempt)
            } catch {
                guard attempt < maxAttempts, case .retry(let retryAfter) = classify(error) else { throw error }
                onRetry(attempt, error)
                attempt += 1
                try await Task.sleep(for: delay(beforeAttempt: attempt, retryAfter: retryAfter))
            }
        }
    }
}
