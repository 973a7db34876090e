import Foundation

/// A value shared between tasks, guarded by a lock.
///
/// ```swift
/// mock.faults.withLock { $0.headCount = 3 }
/// let calls = mock.counters.value.extractionCalls
/// ```
/// - Important: Thread-safe. Keep the closures short: they run while the lock is held.
public final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: Value

    public init(_ value: Value) {
        storage = value
    }

    /// Runs `body` with exclusive access to the value.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&storage)
    }

    /// A copy of the current value.
    public var value: Value {
        withLock { $0 }
    }
}
