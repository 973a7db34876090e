import Foundation

/// Limits and timeouts for transfers. The defaults are those of the command line.
public struct TransportConfiguration: Sendable, Hashable {
    public var connectTimeout: Duration = .seconds(10)
    /// Total time for an API call.
    public var requestTimeout: Duration = .seconds(60)
    /// Total time for a result download.
    public var downloadTimeout: Duration = .seconds(120)
    /// Largest result download, in bytes.
    public var maxDownloadBytes: Int64 = 32 * 1024 * 1024
    /// Allow plain `http` to hosts other than loopback.
    public var allowInsecureHTTP: Bool = false
    /// The `User-Agent` sent when a request has none; `nil` sends none.
    public var userAgent: String? = "assets"

    public init() {}
}
