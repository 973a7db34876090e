import Foundation

/// What the drop-in endpoint needs beyond its ``Assets/AssetManager``.
///
/// ```swift
/// let configuration = AssetsServerConfiguration(
///     clientKeys: ClientKeys(["client1"]),
///     publicURL: URL(string: "https://cdn.example.com/heads")
/// )
/// ```
public struct AssetsServerConfiguration: Sendable {
    /// The keys clients may present in `ailabapi-api-key`.
    public var clientKeys: ClientKeys
    /// The base of `image_url` in answers (`{publicURL}/blobs/<sha256>.png`). Without one, the
    /// base is `http://` and the `Host` the client reached the server by.
    public var publicURL: URL?
    /// The largest request body read: 3 MiB of image plus 64 KiB for the multipart framing.
    public var maxBodyBytes: Int
    /// Connections and timeouts for ``AssetsServerApp`` (routes mounted in another app follow
    /// that app's server).
    public var limits: ServerLimits

    /// 3 MiB (the API's image limit) plus 64 KiB.
    public static let defaultMaxBodyBytes = 3_145_728 + 64 * 1024

    public init(clientKeys: ClientKeys, publicURL: URL? = nil, maxBodyBytes: Int = AssetsServerConfiguration.defaultMaxBodyBytes, limits: ServerLimits = ServerLimits()) {
        self.clientKeys = clientKeys
        self.publicURL = publicURL
        self.maxBodyBytes = maxBodyBytes
        self.limits = limits
    }
}
