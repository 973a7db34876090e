import AssetStore

/// Single-flight inside one process: while an action key is being fetched, later askers wait
/// for that fetch instead of starting their own.
actor FlightTable {
    private var flights: [ContentHash: Task<Extraction, any Error>] = [:]

    /// Runs `operation` for `key`, or joins the run already under way.
    /// - Returns: the result, and whether this caller started the run.
    func run(_ key: ContentHash, _ operation: @escaping @Sendable () async throws -> Extraction) async throws -> (Extraction, leader: Bool) {
        if let flight = flights[key] {
            return (try await flight.value, false)
        }
        // An unstructured task, so that a leader who is cancelled does not cancel the waiters.
        let flight = Task { try await operation() }
        flights[key] = flight
        defer { flights[key] = nil }
        return (try await flight.value, true)
    }
}
