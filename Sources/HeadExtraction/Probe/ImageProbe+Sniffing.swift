import Foundation

extension ImageProbe {
    /// The accepted format whose signature starts `bytes`, if any.
    static func acceptedFormat(of bytes: [UInt8]) -> ImageFormat? {
        if bytes.matches(pngSignature) { return .png }
        if bytes.matches([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.matches("BM"), bytes.count >= 14 { return .bmp }
        return nil
    }

    /// A noun phrase naming a format the API refuses, recognised only to say what the file is.
    static func refusedFormatName(of bytes: [UInt8]) -> String? {
        if bytes.matches("GIF87a") || bytes.matches("GIF89a") { return "a GIF" }
        if bytes.matches("RIFF"), bytes.matches("WEBP", at: 8) { return "a WebP image" }
        if bytes.matches([0x49, 0x49, 0x2A, 0x00]) || bytes.matches([0x4D, 0x4D, 0x00, 0x2A]) { return "a TIFF image" }
        if bytes.matches("ftyp", at: 4) { return isoMediaName(brand: bytes) }
        if bytes.matches("%PDF") { return "a PDF document" }
        if bytes.matches([0xFF, 0x0A]) || bytes.matches([0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) { return "a JPEG XL image" }
        if bytes.matches([0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20]) { return "a JPEG 2000 image" }
        if bytes.matches("8BPS") { return "a Photoshop document" }
        if bytes.matches([0x00, 0x00, 0x01, 0x00]) { return "an ICO icon" }
        if bytes.matches("PK") { return "a ZIP archive" }
        let text = String(decoding: bytes.prefix(256), as: UTF8.self)
            .drop(while: \.isWhitespace).lowercased()
        if text.hasPrefix("<svg") || (text.hasPrefix("<?xml") && text.contains("<svg")) { return "an SVG drawing" }
        if text.hasPrefix("<!doctype html") || text.hasPrefix("<html") { return "an HTML page" }
        return nil
    }

    private static func isoMediaName(brand bytes: [UInt8]) -> String {
        let brand = String(decoding: bytes.dropFirst(8).prefix(4), as: UTF8.self)
        switch brand {
        case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1": return "a HEIC image"
        case "avif", "avis": return "an AVIF image"
        default: return "an MP4 or QuickTime file"
        }
    }
}

extension ImageProbe {
    /// Whether the first bytes of a file look like a picture of any kind, accepted or not.
    ///
    /// For walking folders: a PDF or a text file is not a photo to extract, but a GIF is one
    /// that the API refuses, and deserves to be reported as such.
    public static func looksLikeImage(_ head: Data) -> Bool {
        let bytes = [UInt8](head.prefix(64))
        if acceptedFormat(of: bytes) != nil { return true }
        guard let name = refusedFormatName(of: bytes) else { return false }
        return name.hasSuffix("image") || name == "a GIF" || name == "an ICO icon"
    }
}
