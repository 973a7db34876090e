import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

/// Hummingbird's HTTP/1 child channel with a ``ConnectionGuard`` in each connection's pipeline
/// and a limit on how many connections are open at once.
///
/// The pipeline is Hummingbird's own (`HTTP1Channel`): NIO's HTTP/1 codec with bounded
/// heads, the conversion to Swift HTTP Types, the extra handlers, the connection state
/// handler. The guard goes between the codec and the conversion, where it still sees the
/// request's HTTP version and `Expect`.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ServerLimits
    let screen: ConnectionGuard.Screen?
    let additionalHandlers: @Sendable () -> [any RemovableChannelHandler]
    let connections: ConnectionCount
    let onEvent: @Sendable (ConnectionGuard.Event, ConnectionGuard.Refusal?) -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let admitted = connections.open()
        channel.closeFuture.whenComplete { [connections] _ in connections.close() }
        return channel.eventLoop.makeCompletedFuture {
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderFieldCount = 100
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuard(limits: limits, screen: screen, rejecting: !admitted, onEvent: onEvent)
            )
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            if admitted {
                try channel.pipeline.syncOperations.addHandlers(additionalHandlers())
            }
            // Closes idle connections at a graceful shutdown.
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel,
                configuration: .init(isOutboundHalfClosureEnabled: true)
            )
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

/// The connections a server has open, against its limit.
final class ConnectionCount: Sendable {
    private let count = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection; returns whether it is within the limit.
    func open() -> Bool {
        count.add(1, ordering: .relaxed).newValue <= limit
    }

    func close() {
        count.subtract(1, ordering: .relaxed)
    }

    /// Connections open now, those over the limit included (until they are closed).
    var current: Int { count.load(ordering: .relaxed) }
}
