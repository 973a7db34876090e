import Foundation

/// A ``Transport`` over libcurl: the real network.
///
/// ```swift
/// let transport = CurlTransport()
/// let response = try await transport.send(HTTPRequest(method: "POST", url: url, body: .multipart(parts)))
/// _ = try await transport.download(HTTPRequest(url: resultURL), to: file, limit: 32 << 20)
/// ```
///
/// Each transfer runs on a thread of its own, so many can run at once without holding
/// Swift's cooperative pool. Redirects (at most 5) are followed one hop at a time, and every
/// target is checked by ``URLPolicy`` first. When a redirect leaves the original scheme, host
/// or port, the request's headers are dropped so a credential never reaches another server.
/// Proxies from the environment (`https_proxy`, `no_proxy`, …) apply, as libcurl does.
///
/// - Important: `Sendable`; safe to share between tasks. Cancelling the calling task aborts
///   the transfer and throws `CancellationError`.
public struct CurlTransport: Transport {
    /// The most redirects followed for one request.
    public static let maxRedirects = 5

    public var configuration: TransportConfiguration

    public init(configuration: TransportConfiguration = TransportConfiguration()) {
        self.configuration = configuration
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let job = CurlJob(
            request: request, configuration: configuration,
            timeout: request.timeout ?? configuration.requestTimeout,
            file: nil, limit: configuration.maxDownloadBytes
        )
        return try await run(job).response
    }

    public func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
        let folder = destination.deletingLastPathComponent()
        let partial = folder.appendingPathComponent(".\(destination.lastPathComponent).part-\(UUID().uuidString)")
        let job = CurlJob(
            request: request, configuration: configuration,
            timeout: request.timeout ?? configuration.downloadTimeout,
            file: partial, limit: limit
        )
        do {
            let outcome = try await run(job)
            guard outcome.response.isSuccess else {
                unlink(partial.path)
                return outcome.response
            }
            if outcome.fileBytes == 0 {
                // An empty 2xx body never reached the write callback; the file must exist anyway.
                guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
                    throw CurlEasy.localFile(partial, errno: errno)
                }
            }
            guard rename(partial.path, destination.path) == 0 else {
                throw CurlEasy.localFile(destination, errno: errno)
            }
            var response = outcome.response
            response.body = Data()
            return response
        } catch {
            unlink(partial.path)
            throw error
        }
    }

    private func run(_ job: CurlJob) async throws -> CurlJob.Outcome {
        try URLPolicy.check(job.request.url, allowInsecureHTTP: configuration.allowInsecureHTTP)
        try Task.checkCancellation()
        let flag = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let thread = Thread {
                    continuation.resume(with: Result { try job.run(cancellation: flag) })
                }
                thread.name = "assets.curl"
                thread.start()
            }
        } onCancel: {
            flag.cancel()
        }
    }
}

/// One request with its redirects, run synchronously on a transfer thread.
struct CurlJob: Sendable {
    struct Outcome: Sendable {
        var response: HTTPResponse
        var fileBytes: Int64
    }

    var request: HTTPRequest
    var configuration: TransportConfiguration
    var timeout: Duration
    /// Where a 2xx body goes; `nil` keeps it in memory.
    var file: URL?
    var limit: Int64

    func run(cancellation: CancellationFlag) throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var url = request.url
        var method = request.method
        var body = request.body
        var headers = request.headers
        var hops = 0
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw TransportError(.timeout, "The transfer to \(url.host ?? "the server") timed out while following redirects; try again later, or allow more time.")
            }
            let target: CurlBodyTarget = file.map { .file($0, limit: limit) } ?? .memory(limit: limit)
            let easy = try CurlEasy(target: target, cancellation: cancellation, host: url.host ?? "the server")
            let hop = try easy.perform(
                url: url, method: method, headers: headers, body: body,
                connectTimeoutMs: configuration.connectTimeout.milliseconds, timeoutMs: remaining.milliseconds
            )
            guard [301, 302, 303, 307, 308].contains(hop.status), let location = hop.redirectURL else {
                return Outcome(response: HTTPResponse(status: hop.status, headers: hop.headers, body: hop.body), fileBytes: hop.fileBytes)
            }
            hops += 1
            guard hops <= CurlTransport.maxRedirects else {
                throw TransportError(.other, curlCode: 47, "\(request.url.host ?? "The server") redirected more than \(CurlTransport.maxRedirects) times; check the URL.")
            }
            guard let next = URL(string: location) else {
                throw TransportError(.other, "\(url.host ?? "The server") redirected to a URL that cannot be parsed; check the URL.")
            }
            try URLPolicy.check(next, allowInsecureHTTP: configuration.allowInsecureHTTP, redirectedFrom: url)
            if hop.status == 303 || (method == "POST" && (hop.status == 301 || hop.status == 302)) {
                method = "GET"
                body = .empty
            }
            if !Self.sameOrigin(url, next) { headers = [] }
            url = next
        }
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        a.scheme?.lowercased() == b.scheme?.lowercased()
            && a.host?.lowercased() == b.host?.lowercased()
            && a.port == b.port
    }
}

/// A cancel request shared between the awaiting task and the transfer thread.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool { lock.withLock { cancelled } }

    func cancel() { lock.withLock { cancelled = true } }
}

extension Duration {
    /// Whole milliseconds, clamped to what libcurl's `long` options take.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return Int.max }
        return Int(clamping: total.partialValue + attoseconds / 1_000_000_000_000_000)
    }
}
