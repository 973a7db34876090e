import Assets
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
    /// The largest request body read: 3 MiB of image plus 64 KiB for the multipart framing, or
    /// with ``fit`` set to ``Assets/FitMode/auto`` 64 MiB plus 64 KiB (a 48 MP phone photo).
    public var maxBodyBytes: Int
    /// ``Assets/FitMode/never`` (the default): answer like the API, which refuses a photo it
    /// does not take (a 2333 px photo gets its 413). ``Assets/FitMode/auto``: fit uploads to the
    /// engine's limits, and answer with heads at the upload's own resolution.
    public var fit: FitMode
    /// The largest upload decoded for fitting, in pixels.
    public var maxPixels: Int
    /// Connections and timeouts for ``AssetsServerApp`` (routes mounted in another app follow
    /// that app's server).
    public var limits: ServerLimits

    /// 3 MiB (the API's image limit) plus 64 KiB.
    public static let defaultMaxBodyBytes = 3_145_728 + 64 * 1024
    /// 64 MiB plus 64 KiB: the body cap when uploads are fitted.
    public static let fittingMaxBodyBytes = 67_108_864 + 64 * 1024

    /// - Parameter maxBodyBytes: `nil` for the default of `fit`: ``defaultMaxBodyBytes``, or
    ///   ``fittingMaxBodyBytes`` when fitting.
    public init(clientKeys: ClientKeys, publicURL: URL? = nil, maxBodyBytes: Int? = nil, fit: FitMode = .never, maxPixels: Int = FitMode.defaultMaxPixels, limits: ServerLimits = ServerLimits()) {
        self.clientKeys = clientKeys
        self.publicURL = publicURL
        self.maxBodyBytes = maxBodyBytes ?? (fit == .auto ? Self.fittingMaxBodyBytes : Self.defaultMaxBodyBytes)
        self.fit = fit
        self.maxPixels = maxPixels
        self.limits = limits
    }
}
