import Foundation

/// One extracted head: where its image can be downloaded, its size and its place in the input.
public struct ResultElement: Sendable, Hashable, Codable {
    /// A temporary URL, valid about 24 hours: download it at once.
    public var imageURL: URL
    /// Width of the result image in pixels.
    public var width: Int
    /// Height of the result image in pixels.
    public var height: Int
    /// Left edge of the element in the input image.
    public var x: Int
    /// Top edge of the element in the input image.
    public var y: Int

    public init(imageURL: URL, width: Int, height: Int, x: Int, y: Int) {
        self.imageURL = imageURL
        self.width = width
        self.height = height
        self.x = x
        self.y = y
    }
}
