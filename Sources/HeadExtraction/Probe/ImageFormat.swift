import Foundation

/// An image format the Head Extraction API accepts, as sniffed from the bytes.
public enum ImageFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case jpeg
    case png
    case bmp

    /// The MIME type sent with the multipart file part.
    public var contentType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .bmp: "image/bmp"
        }
    }

    /// The usual file extension, without the dot.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .bmp: "bmp"
        }
    }

    /// The name used in messages: `JPEG`, `PNG` or `BMP`.
    public var displayName: String { rawValue.uppercased() }
}
