import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Runs a router as an HTTP/1.1 server until SIGTERM or SIGINT, or until its task is cancelled.
enum ServerRunner {
    /// Binds `host:port` (0 for a free port), reports the address, and serves.
    ///
    /// On SIGTERM or SIGINT the server stops accepting connections and lets the requests in
    /// flight finish before this returns.
    ///
    /// - Parameters:
    ///   - collectBodies: requests with a body of at most `limit` bytes whose head `accepts`
    ///     reach their route whole (see ``RequestBodyCollector``); `nil` streams every body.
    ///   - limits: connections and timeouts, kept by a ``ConnectionGuard`` on each connection.
    ///   - screen: refuses a request from its head alone, before it reaches a route.
    ///   - onConnectionEvent: told of timeouts, refusals and connections over the limit.
    static func run(
        router: Router<AssetsRequestContext>,
        host: String,
        port: Int,
        serverName: String,
        logger: Logger,
        bound: BoundAddress,
        collectBodies: (limit: Int, accepts: @Sendable (HTTPRequest) -> Bool)? = nil,
        limits: ServerLimits = ServerLimits(),
        screen: ConnectionGuard.Screen? = nil,
        onConnectionEvent: @escaping @Sendable (ConnectionGuard.Event, ConnectionGuard.Refusal?) -> Void = { _, _ in },
        onListening: @escaping @Sendable (URL) async -> Void
    ) async throws {
        // With Swift concurrency on the singleton's event loops, serve on those same loops: a
        // connection's task then runs on its own channel's thread, with no hops at all.
        let connections = ConnectionCount(limit: limits.maxConnections)
        let shared = EventLoopConcurrency.isInstalled
        let eventLoops = shared ? MultiThreadedEventLoopGroup.singleton : MultiThreadedEventLoopGroup(numberOfThreads: eventLoopCount)
        let app = Application(
            router: router,
            server: HTTPServerBuilder { responder in
                GuardedHTTP1Channel(
                    responder: responder, limits: limits, screen: screen,
                    additionalHandlers: { collectBodies.map { [RequestBodyCollector(limit: $0.limit, shouldCollect: $0.accepts)] } ?? [] },
                    connections: connections, onEvent: onConnectionEvent
                )
            },
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: serverName),
            onServerRunning: { channel in
                bound.set(host: host, channel: channel)
                if let url = bound.value { await onListening(url) }
            },
            eventLoopGroupProvider: .shared(eventLoops),
            logger: logger
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [app],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            if !shared { try? await eventLoops.shutdownGracefully() }
            throw error
        }
        if !shared { try? await eventLoops.shutdownGracefully() }
    }

    /// Without ``EventLoopConcurrency``, one event loop for every two cores, at least one.
    ///
    /// The event loops only move bytes and parse HTTP; a request's real work (reading its form,
    /// hashing the image, the store) runs on Swift's concurrency pool, which has a thread per
    /// core. On a small machine a thread per core for each would leave four busy threads
    /// taking turns on two cores, and every turn shows in the latency: measured with
    /// `scripts/bench` P6 on 2 cores, one event loop gave a p99 about 1 ms lower than two, at
    /// the same throughput.
    static var eventLoopCount: Int {
        max(1, System.coreCount / 2)
    }
}
