import DurableFiles
import Foundation

/// A ``Transport`` over libcurl: the real network.
///
/// ```swift
/// let transport = CurlTransport()
/// let response = try await transport.send(HTTPRequest(method: "POST", url: url, body: .multipart(parts)))
/// _ = try await transport.download(HTTPRequest(url: resultURL), to: file, limit: 32 << 20)
/// ```
///
/// Each transfer runs on one of the transport's ``TransferThreads``, so transfers never hold
/// Swift's cooperative pool, and however many are asked for at once, at most
/// `maxConcurrentTransfers` run (and hold sockets and threads) at a time. Redirects (at most 5) are followed one hop at a time, and every
/// target is checked by ``URLPolicy`` first. When a redirect leaves the original scheme, host
/// or port, the request's headers are dropped so a credential never reaches another server.
/// Proxies from the environment (`https_proxy`, `no_proxy`, …) apply, as libcurl does.
///
/// A transport keeps connections open (HTTP keep-alive) and reuses them, with their DNS
/// answers and TLS sessions, for its later transfers to the same server: calls one after
/// another use one connection. Transfers that run at once each use a connection of their own.
///
/// - Important: `Sendable`; safe to share between tasks. Cancelling the calling task aborts
///   the transfer and throws `CancellationError`.
public struct CurlTransport: Transport {
    /// The most redirects followed for one request.
    public static let maxRedirects = 5

    /// Timeouts, the download cap (also the cap on a `send` response body) and the http rule.
    public var configuration: TransportConfiguration
    /// The threads this transport's transfers run on (shared by its copies).
    let threads: TransferThreads
    /// The connection caches this transport's transfers reuse (shared by its copies).
    let shares = CurlSharePool()

    /// Makes a transport; libcurl is initialized once per process on first use.
    ///
    /// - Parameter maxConcurrentTransfers: the most transfers of this transport (and its
    ///   copies) that run at once; more wait in line.
    public init(configuration: TransportConfiguration, maxConcurrentTransfers: Int) {
        self.configuration = configuration
        threads = TransferThreads(maxThreads: maxConcurrentTransfers)
    }

    /// Makes a transport that runs at most ``TransferThreads/defaultMaxThreads`` transfers at once.
    public init(configuration: TransportConfiguration = TransportConfiguration()) {
        self.init(configuration: configuration, maxConcurrentTransfers: TransferThreads.defaultMaxThreads)
    }

    /// Sends `request`; see ``Transport/send(_:)``. The total time is `request.timeout`, else
    /// ``TransportConfiguration/requestTimeout``.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let job = CurlJob(
            request: request, configuration: configuration,
            timeout: request.timeout ?? configuration.requestTimeout,
            file: nil, limit: configuration.maxDownloadBytes
        )
        return try await run(job).response
    }

    /// Downloads into a hidden partial file beside `destination`, renamed into place only on
    /// success; see ``Transport/download(_:to:limit:)``. The total time is `request.timeout`,
    /// else ``TransportConfiguration/downloadTimeout``.
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
            do throws(AtomicFileError) {
                try AtomicFile.move(partial, to: destination)
            } catch {
                throw CurlEasy.localFile(destination, errno: error.code)
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
                threads.submit {
                    continuation.resume(with: Result {
                        // Cancelled while it waited for a thread: never start it.
                        if flag.isCancelled { throw CancellationError() }
                        return try shares.withShare { try job.run(cancellation: flag, share: $0) }
                    })
                }
            }
        } onCancel: {
            flag.cancel()
        }
    }
}
