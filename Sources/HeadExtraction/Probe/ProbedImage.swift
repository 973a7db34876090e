/// What ``ImageProbe`` learned about an acceptable image.
public struct ProbedImage: Sendable, Hashable {
    /// The format found in the bytes, whatever the file's extension says.
    public var format: ImageFormat
    /// Width in pixels.
    public var width: Int
    /// Height in pixels, always positive (a top-down BMP's negative height is flipped).
    public var height: Int
    /// Size of the file in bytes.
    public var byteCount: Int

    public init(format: ImageFormat, width: Int, height: Int, byteCount: Int) {
        self.format = format
        self.width = width
        self.height = height
        self.byteCount = byteCount
    }
}
