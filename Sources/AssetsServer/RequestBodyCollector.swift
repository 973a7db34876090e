import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Holds back a request whose announced body is small enough, and passes it on whole: its head,
/// its body's pieces and its end, together.
///
/// Without it, a 100 KB upload reaches the handler's task as a head and several body pieces,
/// each a separate wake of the task (a hop from the event loop to the concurrency pool, unless
/// ``EventLoopConcurrency`` is installed), and each a place where the task queues behind every
/// other connection's. With it, the task wakes once, with the whole
/// request. Under load this cuts the server's CPU per request and, more, the spread of its
/// latencies.
///
/// A request is collected only when its `Content-Length` is at most `limit`, it does not ask
/// for `Expect: 100-continue`, and `shouldCollect` accepts its head (`assets serve` collects
/// only requests with a known client key). Anything else (no length, a larger one, which the
/// route refuses with 413 before reading it, an unknown key, which gets its 401 before the body
/// is read) passes through untouched, as it arrives. Memory is no worse than without it: the
/// route gathers an accepted upload whole anyway.
final class RequestBodyCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private enum State {
        /// Between requests, or passing the current one through.
        case passing
        /// The pieces are kept as they came, not copied into one buffer: the route's form reader
        /// takes pieces anyway.
        case collecting(head: HTTPRequest, pieces: [ByteBuffer])
    }

    private let limit: Int
    private let shouldCollect: @Sendable (HTTPRequest) -> Bool
    private var state = State.passing

    /// - Parameters:
    ///   - limit: the largest body, in bytes, held back.
    ///   - shouldCollect: whether a request with a small enough body may be held back.
    init(limit: Int, shouldCollect: @escaping @Sendable (HTTPRequest) -> Bool = { _ in true }) {
        self.limit = limit
        self.shouldCollect = shouldCollect
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (state, unwrapInboundIn(data)) {
        case (.passing, .head(let head)):
            guard let length = head.headerFields[.contentLength].flatMap({ Int($0) }), length > 0, length <= limit,
                  head.headerFields[.expect] == nil, shouldCollect(head) else {
                context.fireChannelRead(data)
                return
            }
            var pieces: [ByteBuffer] = []
            pieces.reserveCapacity(4)
            state = .collecting(head: head, pieces: pieces)
        case (.collecting(let head, var pieces), .body(let piece)):
            state = .passing  // so that `pieces` is the array's only reference and grows in place
            pieces.append(piece)
            state = .collecting(head: head, pieces: pieces)
        case (.collecting(let head, let pieces), .end(let trailers)):
            state = .passing
            release(head, pieces, context: context)
            context.fireChannelRead(wrapInboundOut(.end(trailers)))
        case (.collecting(let head, let pieces), .head):
            // Cannot happen with a well-behaved decoder; pass on what was held, then this.
            state = .passing
            release(head, pieces, context: context)
            channelRead(context: context, data: data)
        case (.passing, .body), (.passing, .end):
            context.fireChannelRead(data)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client left mid-body: pass on what arrived, so the route sees a cut request and its
        // task ends as it would have without this handler.
        if case .collecting(let head, let pieces) = state {
            state = .passing
            release(head, pieces, context: context)
            context.fireChannelReadComplete()
        }
        context.fireChannelInactive()
    }

    private func release(_ head: HTTPRequest, _ pieces: [ByteBuffer], context: ChannelHandlerContext) {
        context.fireChannelRead(wrapInboundOut(.head(head)))
        for piece in pieces {
            context.fireChannelRead(wrapInboundOut(.body(piece)))
        }
    }
}
