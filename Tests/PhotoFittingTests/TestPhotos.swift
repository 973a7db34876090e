import Foundation
@testable import HeadExtraction
@testable import PhotoFitting
import TestSupport

/// Photos made for the tests, from the committed fixtures, with libvips (through PhotoFitting's
/// own wrapper, so the tests import no C).
enum TestPhotos {
    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: Repository.fixture(name))
    }

    /// A decoded fixture, as an image in memory.
    static func image(_ name: String) throws -> Vips.Image {
        let data = try fixture(name)
        return try Vips.reading(data) { buffer throws(Vips.Failure) in
            try Vips.load(buffer, as: PhotoFormat.sniff(data)!, sequential: false).inMemory()
        }
    }

    /// A fixture scaled to exactly `width` x `height` (up or down), 3 bands.
    static func scaled(_ name: String, width: Int, height: Int) throws -> Vips.Image {
        let source = try image(name)
        return try source.resizedLanczos(Double(width) / Double(source.width), Double(height) / Double(source.height))
            .sized(width: width, height: height).inMemory()
    }

    /// Pixels from a fixed pseudo-random sequence: they do not compress, and are the same each run.
    static func noise(width: Int, height: Int, seed: UInt64 = 42) throws -> Vips.Image {
        var state = seed
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in pixels.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            pixels[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return try Vips.image(pixels: pixels, width: width, height: height, bands: 3)
    }

    /// A JPEG of `image` carrying EXIF `orientation`.
    static func jpeg(_ image: Vips.Image, orientation: Int = 1) throws -> Data {
        let copy = try image.inMemory()
        copy.setOrientation(orientation)
        return try copy.encoded(as: .jpeg)
    }

    /// Decodes `data`, turns it upright and gives its 8-bit sRGB pixels: what a viewer shows.
    static func upright(_ data: Data) throws -> (width: Int, height: Int, bands: Int, pixels: [UInt8]) {
        try Vips.reading(data) { buffer throws(Vips.Failure) in
            var image = try Vips.load(buffer, as: PhotoFormat.sniff(data)!, sequential: false).autorotated().sRGB()
            if !image.isUChar { image = try image.uchar() }
            return (image.width, image.height, image.bands, try image.pixels())
        }
    }

    /// Decodes `data` as it is stored: no turning, no colour conversion.
    static func decoded(_ data: Data) throws -> (width: Int, height: Int, bands: Int, pixels: [UInt8]) {
        try Vips.reading(data) { buffer throws(Vips.Failure) in
            let image = try Vips.load(buffer, as: PhotoFormat.sniff(data)!, sequential: false)
            return (image.width, image.height, image.bands, try image.pixels())
        }
    }

    /// A 24-bit BMP, bottom-up (libvips writes none, so the tests write the 54-byte header).
    static func bmp(_ image: Vips.Image) throws -> Data {
        let rgb = try image.pixels()
        let width = image.width, height = image.height
        let rowBytes = (width * 3 + 3) / 4 * 4
        var data = Data()
        func le32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { data.append(contentsOf: $0) } }
        func le16(_ value: Int) { withUnsafeBytes(of: UInt16(value).littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("BM".utf8))
        le32(54 + rowBytes * height); le32(0); le32(54)
        le32(40); le32(width); le32(height); le16(1); le16(24); le32(0); le32(rowBytes * height)
        le32(2835); le32(2835); le32(0); le32(0)
        for y in (0..<height).reversed() {
            var row = [UInt8](repeating: 0, count: rowBytes)
            for x in 0..<width {
                let offset = (y * width + x) * 3
                row[x * 3] = rgb[offset + 2]
                row[x * 3 + 1] = rgb[offset + 1]
                row[x * 3 + 2] = rgb[offset]
            }
            data.append(contentsOf: row)
        }
        return data
    }

    /// A grey mask PNG: white inside the ellipse that fills `width` x `height`, black outside.
    static func ellipseMask(width: Int, height: Int) throws -> Data {
        var pixels = [UInt8](repeating: 0, count: width * height)
        let cx = Double(width) / 2, cy = Double(height) / 2
        for y in 0..<height {
            for x in 0..<width {
                let dx = (Double(x) + 0.5 - cx) / cx, dy = (Double(y) + 0.5 - cy) / cy
                if dx * dx + dy * dy <= 1 { pixels[y * width + x] = 255 }
            }
        }
        return try PNGCodec.encode(width: width, height: height, pixels: pixels, format: .gray)
    }

    /// `png` with its IHDR claiming `width` x `height`, the chunk's CRC made right again.
    static func claimingSize(_ png: Data, width: Int, height: Int) -> Data {
        var bytes = [UInt8](png)
        for (offset, value) in [(16, width), (20, height)] {
            for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
        }
        let crc = CRC32.checksum(bytes, 12..<29)
        for index in 0..<4 { bytes[29 + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(index))) }
        return Data(bytes)
    }
}

extension Vips.Failure: CustomStringConvertible {
    public var description: String { "\(operation): \(detail)" }
}
