import Assets
import Foundation

/// What the drop-in endpoint needs beyond its ``Assets/AssetManager``.
///
/// ```swift
/// let configuration = AssetsServerConfiguration(
///     clientKeys: ClientKeys(["client1"]),
///     publicURL: URL(string: "https://cdn.example.com/heads")
/// )
/// // Or, with callers already checked in front of the server:
/// let open = AssetsServerConfiguration(authentication: .none)
/// ```
public struct AssetsServerConfiguration: Sendable {
    /// Who may call the extraction endpoint: clients with a key, or (``ClientAuthentication/none``) anyone.
    public var authentication: ClientAuthentication

    /// The keys clients may present in `ailabapi-api-key`; empty with ``ClientAuthentication/none``.
    /// Setting it requires those keys.
    @available(*, deprecated, message: "Use authentication, which can also be .none.")
    public var clientKeys: ClientKeys {
        get {
            if case .keys(let keys) = authentication { return keys }
            return ClientKeys([])
        }
        set { authentication = .keys(newValue) }
    }
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

    /// A configuration that serves only clients presenting one of `clientKeys`.
    ///
    /// - Parameter maxBodyBytes: `nil` for the default of `fit`: ``defaultMaxBodyBytes``, or
    ///   ``fittingMaxBodyBytes`` when fitting.
    public init(clientKeys: ClientKeys, publicURL: URL? = nil, maxBodyBytes: Int? = nil, fit: FitMode = .never, maxPixels: Int = FitMode.defaultMaxPixels, limits: ServerLimits = ServerLimits()) {
        self.init(authentication: .keys(clientKeys), publicURL: publicURL, maxBodyBytes: maxBodyBytes, fit: fit, maxPixels: maxPixels, limits: limits)
    }

    /// A configuration with the given ``ClientAuthentication``: `.keys(…)`, or `.none` to
    /// serve every request without a key.
    ///
    /// - Parameter maxBodyBytes: `nil` for the default of `fit`: ``defaultMaxBodyBytes``, or
    ///   ``fittingMaxBodyBytes`` when fitting.
    public init(authentication: ClientAuthentication, publicURL: URL? = nil, maxBodyBytes: Int? = nil, fit: FitMode = .never, maxPixels: Int = FitMode.defaultMaxPixels, limits: ServerLimits = ServerLimits()) {
        self.authentication = authentication
        self.publicURL = publicURL
        self.maxBodyBytes = maxBodyBytes ?? (fit == .auto ? Self.fittingMaxBodyBytes : Self.defaultMaxBodyBytes)
        self.fit = fit
        self.maxPixels = maxPixels
        self.limits = limits
    }
}
