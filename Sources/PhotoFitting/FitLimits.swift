import HeadExtraction

/// What the engine a photo is sent to accepts, and the largest photo ``PhotoFitter`` reads at all.
///
/// ```swift
/// let limits = FitLimits.api                       // JPEG, PNG or BMP, 3 MiB, sides 33...1999
/// let plugin = FitLimits(formats: [.jpeg, .png], maxBytes: nil, minSide: 33, maxSide: 4096)
/// ```
public struct FitLimits: Sendable, Hashable {
    /// The formats the engine reads; a photo in another format is fitted (to JPEG, else PNG).
    public var formats: Set<PhotoFormat>
    /// The largest upload, in bytes, if there is a limit.
    public var maxBytes: Int?
    /// The smallest side the engine allows, in pixels.
    public var minSide: Int
    /// The largest side the engine allows, in pixels, if there is a limit.
    public var maxSide: Int?
    /// The most pixels a photo may claim before it is read (a pixel bomb is refused from its
    /// header with `PIXEL_LIMIT_EXCEEDED`): 100 megapixels by default.
    public var maxPixels: Int
    /// The most pixels the engine takes in one upload, if it has such a limit.
    public var maxUploadPixels: Int?
    /// Who accepts, as messages name it: `the API`, `the local backend`.
    public var accepter: String

    /// The default of ``maxPixels``: 100 megapixels.
    public static let defaultMaxPixels = 100_000_000

    public init(formats: Set<PhotoFormat>, maxBytes: Int?, minSide: Int, maxSide: Int?, maxPixels: Int = FitLimits.defaultMaxPixels, maxUploadPixels: Int? = nil, accepter: String = "the engine") {
        self.formats = formats
        self.maxBytes = maxBytes
        self.minSide = max(1, minSide)
        self.maxSide = maxSide.map { max(1, $0) }
        self.maxPixels = max(1, maxPixels)
        self.maxUploadPixels = maxUploadPixels.map { max(1, $0) }
        self.accepter = accepter
    }

    /// An engine's limits as ``HeadExtraction/ImageProbe`` checks them (`EngineLimits.probeLimits`),
    /// with the pixel-bomb limit for what fitting reads.
    public init(_ limits: ImageProbe.Limits, maxPixels: Int = FitLimits.defaultMaxPixels) {
        self.init(
            formats: Set(limits.formats.map(PhotoFormat.init)), maxBytes: limits.maxBytes, minSide: limits.minSide,
            maxSide: limits.maxSide, maxPixels: maxPixels, maxUploadPixels: limits.maxPixels, accepter: limits.accepter
        )
    }

    /// The AILabTools API's: JPEG, PNG or BMP, at most 3 MiB, each side 33 to 1999 px.
    public static let api = FitLimits(formats: [.jpeg, .png, .bmp], maxBytes: ImageProbe.maxByteCount, minSide: ImageProbe.minSide, maxSide: ImageProbe.maxSide, accepter: "the API")

    /// The smallest side a fitted photo may have: the engine's, and never 32 px or less
    /// (a head in fewer pixels is not worth a paid call).
    var fittedMinSide: Int { max(minSide, 33) }
}
