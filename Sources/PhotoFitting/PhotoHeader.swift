/// What ``PhotoFitter/header(of:name:maxPixels:)`` read from a photo without decoding it.
public struct PhotoHeader: Sendable, Hashable {
    /// The format found in the bytes, whatever the file's extension says.
    public var format: PhotoFormat
    /// Width as stored, before EXIF orientation.
    public var width: Int
    /// Height as stored, before EXIF orientation.
    public var height: Int
    /// The EXIF orientation, 1...8; 1 when there is none.
    public var orientation: Int
    /// Size of the file in bytes.
    public var byteCount: Int

    public init(format: PhotoFormat, width: Int, height: Int, orientation: Int, byteCount: Int) {
        self.format = format
        self.width = width
        self.height = height
        self.orientation = (1...8).contains(orientation) ? orientation : 1
        self.byteCount = byteCount
    }

    /// Whether showing the photo upright swaps its sides (orientations 5 to 8).
    public var isTransposed: Bool { orientation >= 5 }
    /// Width as every viewer shows it, EXIF orientation applied.
    public var uprightWidth: Int { isTransposed ? height : width }
    /// Height as every viewer shows it, EXIF orientation applied.
    public var uprightHeight: Int { isTransposed ? width : height }
}
