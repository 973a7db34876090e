import Foundation

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

    /// Runs the request; its hops use `share`'s connections, DNS answers and TLS sessions.
    func run(cancellation: CancellationFlag, share: CurlShare? = nil) throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var url = request.url
        var method = request.method
        var body = request.body
        var headers = request.headers
        var signature = request.signature
        var hops = 0
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw TransportError(.timeout, "The transfer to \(url.host ?? "the server") timed out while following redirects; try again later, or allow more time.")
            }
            let target: CurlBodyTarget = file.map { .file($0, limit: limit) } ?? .memory(limit: limit)
            let easy = try CurlEasy(target: target, cancellation: cancellation, host: url.host ?? "the server", share: share)
            let hop = try easy.perform(
                url: url, method: method, headers: headers, body: body, signature: signature,
                connectTimeoutMs: configuration.connectTimeout.milliseconds, timeoutMs: remaining.milliseconds,
                userAgent: configuration.userAgent
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
            if !Self.sameOrigin(url, next) {
                headers = []
                signature = nil
            }
            url = next
        }
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        a.scheme?.lowercased() == b.scheme?.lowercased()
            && a.host?.lowercased() == b.host?.lowercased()
            && a.port == b.port
    }
}
