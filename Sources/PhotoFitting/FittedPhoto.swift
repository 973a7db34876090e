import Foundation

/// A photo fitted to an engine's limits: the upload, and how it maps back to the original.
public struct FittedPhoto: Sendable, Hashable {
    /// The bytes to send: a baseline JPEG without metadata (a PNG for an engine that takes no JPEG).
    public var bytes: Data
    /// The format of ``bytes``.
    public var format: PhotoFormat
    /// Width in pixels, upright.
    public var width: Int
    /// Height in pixels, upright.
    public var height: Int
    /// SHA-256 of ``bytes``, lowercase hex.
    public var sha256: String
    /// The JPEG quality it was saved with (0 for a PNG).
    public var quality: Int
    /// Pixels of the upright original per pixel of this photo, across.
    public var scaleX: Double
    /// Pixels of the upright original per pixel of this photo, down.
    public var scaleY: Double

    public init(bytes: Data, format: PhotoFormat, width: Int, height: Int, sha256: String, quality: Int, scaleX: Double, scaleY: Double) {
        self.bytes = bytes
        self.format = format
        self.width = width
        self.height = height
        self.sha256 = sha256
        self.quality = quality
        self.scaleX = scaleX
        self.scaleY = scaleY
    }
}
