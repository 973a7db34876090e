import AssetStore
import Foundation
import HeadExtraction

/// The answer to one extraction: where each head sits, and its PNG on disk.
public struct Extraction: Sendable, Hashable {
    /// Whether the answer came from the store or from the API.
    public enum CacheOutcome: String, Sendable, Hashable, Codable {
        /// Served from the store (or from a call another caller was already making).
        case hit
        /// This call asked the backend.
        case miss
    }

    /// One result image.
    public struct Element: Sendable, Hashable {
        /// The SHA-256 of the PNG.
        public var sha256: ContentHash
        /// The PNG: a blob in the store, or a temporary file when the cache is off.
        public var fileURL: URL
        public var width: Int
        public var height: Int
        /// The top-left corner of the element in the input photo.
        public var x: Int
        public var y: Int

        public init(sha256: ContentHash, fileURL: URL, width: Int, height: Int, x: Int, y: Int) {
            self.sha256 = sha256
            self.fileURL = fileURL
            self.width = width
            self.height = height
            self.x = x
            self.y = y
        }
    }

    /// The SHA-256 of the input's bytes.
    public var inputSHA256: ContentHash
    public var cache: CacheOutcome
    /// The API's request id, for the vendor's support.
    public var requestID: String?
    public var elements: [Element]
    /// What was sent instead of the photo, when it was fitted to the engine's limits: the
    /// boxes and heads above are still the photo's own, at its own resolution.
    public var fitted: FittedUpload?
    /// With the cache off, the folder holding the PNGs: the caller's to delete once it has
    /// copied them. `nil` when the PNGs are blobs in the store.
    public var temporaryFolder: URL?

    public init(inputSHA256: ContentHash, cache: CacheOutcome, requestID: String?, elements: [Element], fitted: FittedUpload? = nil, temporaryFolder: URL? = nil) {
        self.inputSHA256 = inputSHA256
        self.cache = cache
        self.requestID = requestID
        self.elements = elements
        self.fitted = fitted
        self.temporaryFolder = temporaryFolder
    }
}

/// The options of one extraction, beyond the photo.
public struct ExtractOptions: Sendable, Hashable {
    public var api: APIOptions
    /// Read and write the store (`true`), or neither (`false`).
    public var useCache: Bool
    /// What to do with a photo the engine would refuse as it is (too large, rotated by EXIF,
    /// HEIC, WebP, …): fit it (``FitMode/auto``, the default) or refuse it (``FitMode/never``).
    public var fit: FitMode
    /// The largest photo decoded for fitting, in pixels; a larger one is refused with
    /// `PIXEL_LIMIT_EXCEEDED` before it is decoded.
    public var maxPixels: Int

    public init(api: APIOptions = APIOptions(), useCache: Bool = true, fit: FitMode = .auto, maxPixels: Int = FitMode.defaultMaxPixels) {
        self.api = api
        self.useCache = useCache
        self.fit = fit
        self.maxPixels = maxPixels
    }

    public static let `default` = ExtractOptions()
}

extension Extraction {
    /// The extraction a complete catalog entry holds, its PNGs in the store.
    init(_ entry: CatalogEntry, cache: CacheOutcome, in store: Store) {
        self.init(
            inputSHA256: entry.inputKey, cache: cache, requestID: entry.requestID,
            elements: entry.elements.compactMap { element in
                guard let key = element.blobKey else { return nil }
                return Extraction.Element(sha256: key, fileURL: store.blobs.url(for: key), width: element.width, height: element.height, x: element.x, y: element.y)
            },
            fitted: entry.fitted
        )
    }
}
