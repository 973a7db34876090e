import Logging
import NIOCore
import NIOHTTP1

/// Keeps one HTTP/1 connection within ``ServerLimits``: timeouts for each part of a request,
/// early answers that need not read the body, `100 Continue`, and closing when HTTP says so.
///
/// It sits right after NIO's HTTP/1 codec, where the request's version and `Expect` are still
/// visible, and before Hummingbird's handlers:
/// - **Timeouts.** A connection with no request in progress is closed after the idle timeout.
///   Once a request's first byte arrives, its head must be whole within the header timeout,
///   and its body within the body timeout from there; else the client gets `408` and the
///   connection is closed. A slow or stalled client can hold a connection (and its buffers)
///   for no longer than that.
/// - **Screening.** Each head goes through `screen` first. A refusal (an unknown client key, a
///   body announced too large) is answered here, with `Connection: close`, before the request
///   reaches a route; at most ``ServerLimits/drainBytes`` of its body are read afterwards,
///   then the connection is closed.
/// - **`Expect: 100-continue`** is answered `100 Continue` for a request that passes the
///   screen, so clients do not wait before sending the body (curl waits a second otherwise).
/// - **Early answers from a route** (a chunked body past the cap, a malformed form) close the
///   connection after at most ``ServerLimits/drainBytes`` more of the body.
/// - **HTTP/1.0** (and `Connection: close`) connections are closed after the answer.
/// - A request that arrives while the previous answer is being made (pipelining) waits here,
///   and the socket is not read meanwhile.
/// - In `rejecting` mode (over the connection limit) it answers `503` with `Retry-After` at
///   once and closes.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// An answer given in place of a route's.
    struct Refusal: Sendable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: [UInt8]
        /// Counted under this code in the server's metrics.
        var code: String
    }

    /// Decides from a request's head alone whether it is refused.
    typealias Screen = @Sendable (HTTPRequestHead) -> Refusal?

    /// What happened to a connection, for metrics.
    enum Event: String, Sendable {
        case idleTimeout = "idle"
        case headerTimeout = "header"
        case bodyTimeout = "body"
        case refused
        case overLimit = "over_limit"
    }

    private enum State {
        /// No request in progress.
        case idle
        /// Bytes of a request head have arrived.
        case readingHead
        /// The head was passed on; its body is arriving.
        case readingBody
        /// The request was passed on whole; its answer is being made.
        case responding
        /// Answered before the body ended: reading what is left of it, up to a bound.
        case draining(remaining: Int)
        /// Closed or closing: nothing more is read or passed on.
        case closed
    }

    private let limits: ServerLimits
    private let screen: Screen?
    private let rejecting: Bool
    private let onEvent: @Sendable (Event, Refusal?) -> Void

    private var state = State.idle
    private var timer: Scheduled<Void>?
    /// Bumped whenever the timer is replaced, so a timer that fires late does nothing.
    private var timerGeneration = 0
    private var started = false
    /// Whether the connection closes after the current answer.
    private var closeAfterAnswer = false
    /// Whether a final answer head was written for the current request.
    private var answerStarted = false
    /// Parts of the next requests, held while the current one is answered.
    private var pipelined: [HTTPServerRequestPart] = []
    private var readHeld = false

    /// - Parameters:
    ///   - limits: the timeouts and the drain bound.
    ///   - screen: refuses requests from their head, if given.
    ///   - rejecting: answer `503` and close, for a connection over the limit.
    ///   - onEvent: told of timeouts and refusals (on the event loop).
    init(limits: ServerLimits, screen: Screen?, rejecting: Bool = false, onEvent: @escaping @Sendable (Event, Refusal?) -> Void = { _, _ in }) {
        self.limits = limits
        self.screen = screen
        self.rejecting = rejecting
        self.onEvent = onEvent
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        state = .closed
        pipelined.removeAll()
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if rejecting {
            onEvent(.overLimit, nil)
            var headers = HTTPHeaders()
            headers.add(name: "retry-after", value: "1")
            let body = Array("The server has too many connections open; try again in a second.\n".utf8)
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
            // Closed at once, not drained: under a flood, connections over the limit that lingered
            // would hold the very files the limit is there to keep free.
            answerAndClose(context: context, status: .serviceUnavailable, headers: headers, body: body, drain: 0)
            return
        }
        arm(limits.idleTimeout, context: context, event: .idleTimeout)
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .closed:
            return
        case .responding:
            // The next request, pipelined: it waits for this answer.
            pipelined.append(part)
            if pipelined.count > 64 { close(context: context) }
            return
        case .draining(let remaining):
            switch part {
            case .body(let piece):
                let left = remaining - piece.readableBytes
                if left < 0 { close(context: context) } else { state = .draining(remaining: left) }
            case .end:
                close(context: context)
            case .head:
                close(context: context)
            }
            return
        case .idle, .readingHead, .readingBody:
            break
        }
        switch part {
        case .head(var head):
            cancelTimer()
            answerStarted = false
            closeAfterAnswer = !head.isKeepAlive
            if let refusal = screen?(head) {
                onEvent(.refused, refusal)
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: refusal.contentType)
                // A client that waits for `100 Continue` sends no body: nothing to drain.
                let drain = head.headers.contains(name: "expect") ? 0 : limits.drainBytes
                answerAndClose(context: context, status: refusal.status, headers: headers, body: refusal.body, drain: drain)
                return
            }
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                head.headers.remove(name: "expect")
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            state = .readingBody
            arm(limits.bodyTimeout, context: context, event: .bodyTimeout)
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body:
            context.fireChannelRead(data)
        case .end:
            cancelTimer()
            state = .responding
            context.fireChannelRead(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Bytes arrived without a whole head yet: the head's clock starts.
        if case .idle = state {
            state = .readingHead
            arm(limits.headerTimeout, context: context, event: .headerTimeout)
        }
        context.fireChannelReadComplete()
    }

    // MARK: - Outbound

    func read(context: ChannelHandlerContext) {
        // While an answer is made, the socket is not read: a pipelined request waits in the
        // kernel's buffer rather than in this process.
        if case .responding = state {
            readHeld = true
            return
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch state {
        case .closed, .draining:
            // Answered already (a refusal, a timeout, a route's early answer): nothing more goes out.
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        default:
            break
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200 || head.status == .switchingProtocols:
            answerStarted = true
            if case .readingBody = state { closeAfterAnswer = true }
            if closeAfterAnswer { head.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head, .body:
            context.write(data, promise: promise)
        case .end:
            let unfinished: Bool
            if case .readingBody = state { unfinished = true } else { unfinished = false }
            let loop = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let written = context.write(data)
            written.whenComplete { _ in
                let (handler, context) = loop.value
                handler.answered(context: context, requestUnfinished: unfinished)
            }
            if let promise { written.cascade(to: promise) }
        }
    }

    /// The answer's last byte was written.
    private func answered(context: ChannelHandlerContext, requestUnfinished: Bool) {
        if case .closed = state { return }
        if requestUnfinished {
            // Answered before the body ended (a route's 413 or 400): read a little more of it, so
            // the client sees the answer rather than a reset, then close.
            cancelTimer()
            state = .draining(remaining: limits.drainBytes)
            context.close(mode: .output, promise: nil)
            arm(.seconds(2), context: context, event: nil)
            return
        }
        if closeAfterAnswer {
            close(context: context)
            return
        }
        state = .idle
        arm(limits.idleTimeout, context: context, event: .idleTimeout)
        let held = pipelined
        pipelined.removeAll()
        for part in held {
            channelRead(context: context, data: wrapInboundOut(part))
            if case .closed = state { return }
        }
        if !held.isEmpty { context.fireChannelReadComplete() }
        if case .responding = state { return }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    // MARK: - Answers and timers

    /// Writes a whole answer with `Connection: close`, then closes: at once when `drain` is 0
    /// or the request is whole, else after at most `drain` more bytes of its body (or 2 s).
    private func answerAndClose(context: ChannelHandlerContext, status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8], drain: Int) {
        cancelTimer()
        var headers = headers
        headers.replaceOrAdd(name: "connection", value: "close")
        headers.replaceOrAdd(name: "content-length", value: String(body.count))
        state = drain > 0 ? .draining(remaining: drain) : .closed
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let loop = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            let (handler, context) = loop.value
            if case .draining = handler.state {
                context.close(mode: .output, promise: nil)
                handler.arm(.seconds(2), context: context, event: nil)
            } else {
                context.close(promise: nil)
            }
        }
    }

    /// Starts the one timer: when it fires, the connection is answered `408` (if a request is
    /// in progress and unanswered) and closed.
    private func arm(_ timeout: Duration, context: ChannelHandlerContext, event: Event?) {
        cancelTimer()
        timerGeneration &+= 1
        let generation = timerGeneration
        let loop = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let (handler, context) = loop.value
            guard handler.timerGeneration == generation else { return }
            handler.timer = nil
            handler.timedOut(context: context, event: event)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerGeneration &+= 1
    }

    private func timedOut(context: ChannelHandlerContext, event: Event?) {
        if let event { onEvent(event, nil) }
        // A request still coming in gets a 408, unless its answer has begun (a route may answer
        // before the body is read); anything else is closed.
        let answerable = switch state {
        case .readingHead: true
        case .readingBody: !answerStarted
        default: false
        }
        guard answerable else { return close(context: context) }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        let body = Array("The request was not received in time; send it again, faster.\n".utf8)
        // Drained like a refusal: a client still sending would otherwise get a reset, which
        // discards the answer before it reads it.
        answerAndClose(context: context, status: .requestTimeout, headers: headers, body: body, drain: limits.drainBytes)
    }

    private func close(context: ChannelHandlerContext) {
        cancelTimer()
        state = .closed
        pipelined.removeAll()
        context.close(promise: nil)
    }
}
