import Foundation
import HeadExtraction

/// A photo format ``PhotoFitter`` reads, as sniffed from the bytes (never from the file name).
public enum PhotoFormat: String, Sendable, Hashable, CaseIterable {
    case jpeg, png, bmp, webp, heif, avif, tiff, gif

    /// The name used in messages: `JPEG`, `HEIC`, `WebP`.
    public var displayName: String {
        switch self {
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .bmp: "BMP"
        case .webp: "WebP"
        case .heif: "HEIC"
        case .avif: "AVIF"
        case .tiff: "TIFF"
        case .gif: "GIF"
        }
    }

    /// `a JPEG`, `an AVIF`: the name with its article, for messages.
    var withArticle: String { (self == .avif ? "an " : "a ") + displayName }

    /// The same format as the API's ``HeadExtraction/ImageFormat``, for JPEG, PNG and BMP.
    public var imageFormat: ImageFormat? {
        switch self {
        case .jpeg: .jpeg
        case .png: .png
        case .bmp: .bmp
        default: nil
        }
    }

    public init(_ format: ImageFormat) {
        switch format {
        case .jpeg: self = .jpeg
        case .png: self = .png
        case .bmp: self = .bmp
        }
    }

    /// The format whose signature starts `bytes`, if it is one of these.
    public static func sniff(_ bytes: Data) -> PhotoFormat? {
        let head = [UInt8](bytes.prefix(64))
        func at(_ offset: Int, _ text: String) -> Bool { matches(head, offset, Array(text.utf8)) }
        if matches(head, 0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if matches(head, 0, [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if at(0, "BM"), bytes.count >= 14 { return .bmp }
        if at(0, "GIF87a") || at(0, "GIF89a") { return .gif }
        if at(0, "RIFF"), at(8, "WEBP") { return .webp }
        if matches(head, 0, [0x49, 0x49, 0x2A, 0x00]) || matches(head, 0, [0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if at(4, "ftyp") { return isoMedia(head) }
        return nil
    }

    private static func matches(_ bytes: [UInt8], _ offset: Int, _ prefix: [UInt8]) -> Bool {
        offset + prefix.count <= bytes.count && bytes[offset..<(offset + prefix.count)].elementsEqual(prefix)
    }

    /// HEIF or AVIF by the `ftyp` box: its major brand, then its compatible brands.
    private static func isoMedia(_ head: [UInt8]) -> PhotoFormat? {
        let boxSize = head.count >= 4 ? (0..<4).reduce(0) { $0 << 8 | Int(head[$1]) } : 0
        let end = min(head.count, max(boxSize, 12))
        var brands: [String] = []
        var offset = 8
        while offset + 4 <= end {
            if offset != 12 {  // bytes 12-15 are the minor version, not a brand
                brands.append(String(decoding: head[offset..<(offset + 4)], as: UTF8.self))
            }
            offset += 4
        }
        let avif: Set<String> = ["avif", "avis"]
        let heif: Set<String> = ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"]
        guard let major = brands.first else { return nil }
        if avif.contains(major) { return .avif }
        if heif.contains(major), major != "mif1", major != "msf1" { return .heif }
        if brands.contains(where: avif.contains) { return .avif }
        if brands.contains(where: heif.contains) { return .heif }
        return nil
    }
}
