import Foundation

/// Which URLs a transfer may reach: `https` anywhere, plain `http` only to loopback.
///
/// ```swift
/// try URLPolicy.check(URL(string: "http://127.0.0.1:8081/x")!, allowInsecureHTTP: false) // fine
/// try URLPolicy.check(URL(string: "http://example.com/")!, allowInsecureHTTP: false)      // throws
/// ```
///
/// Every transport checks the initial URL and every redirect target, so a server cannot
/// send a client to `file:` or to plain `http` on the open network.
public enum URLPolicy {
    /// Whether `host` names this machine: `localhost`, `127.0.0.0/8` or `::1`.
    public static func isLoopback(host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        let values = octets.compactMap { UInt8($0) }
        return values.count == 4 && values[0] == 127
    }

    /// Throws unless `url` may be fetched.
    ///
    /// - Parameters:
    ///   - url: the request URL or a redirect target.
    ///   - allowInsecureHTTP: allow plain `http` to hosts other than loopback.
    ///   - redirectedFrom: the URL that redirected here, for the message.
    /// - Throws: ``TransportError`` with code ``TransportError/Code/schemeRefused``.
    public static func check(_ url: URL, allowInsecureHTTP: Bool, redirectedFrom: URL? = nil) throws {
        let scheme = url.scheme?.lowercased() ?? ""
        let host = url.host ?? ""
        let via = redirectedFrom.map { " (a redirect from \($0.host ?? "the server"))" } ?? ""
        switch scheme {
        case "https":
            guard !host.isEmpty else {
                throw TransportError(.schemeRefused, "Refused a URL with no host\(via); give a full https:// URL.")
            }
        case "http":
            guard !host.isEmpty else {
                throw TransportError(.schemeRefused, "Refused a URL with no host\(via); give a full http:// or https:// URL.")
            }
            if !allowInsecureHTTP && !isLoopback(host: host) {
                throw TransportError(
                    .schemeRefused,
                    "Refused plain http to \(host)\(via); use https, or allow insecure http if you trust the network."
                )
            }
        default:
            let shown = scheme.isEmpty ? "a URL without a scheme" : "a \(scheme): URL"
            throw TransportError(.schemeRefused, "Refused \(shown)\(via); only http and https are allowed, so use an http:// or https:// URL.")
        }
    }
}
