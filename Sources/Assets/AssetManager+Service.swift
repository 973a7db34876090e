import ServiceLifecycle

/// An ``AssetManager`` in a ServiceLifecycle `ServiceGroup`, beside a web backend's server:
///
/// ```swift
/// let manager = AssetManager(store: store, engine: engine)
/// let group = ServiceGroup(services: [manager, server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
///
/// It runs until the group shuts down gracefully (or its task is cancelled), then flushes the
/// hit bookkeeping and stops the engine's processes: no hand-called ``AssetManager/shutdown()``.
extension AssetManager: Service {
    public func run() async throws {
        // Returns when graceful shutdown begins; throws when the task is cancelled instead.
        try? await gracefulShutdown()
        await shutdown()
    }
}
