import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs a router as an HTTP/1.1 server until SIGTERM or SIGINT, or until its task is cancelled.
enum ServerRunner {
    /// Binds `host:port` (0 for a free port), reports the address, and serves.
    ///
    /// On SIGTERM or SIGINT the server stops accepting connections and lets the requests in
    /// flight finish before this returns; `afterShutdown` runs then.
    static func run(
        router: Router<AssetsRequestContext>,
        host: String,
        port: Int,
        serverName: String,
        logger: Logger,
        bound: BoundAddress,
        onListening: @escaping @Sendable (URL) async -> Void
    ) async throws {
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: serverName),
            onServerRunning: { channel in
                bound.set(host: host, channel: channel)
                if let url = bound.value { await onListening(url) }
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [app],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}
