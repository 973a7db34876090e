import Foundation
@testable import HeadExtraction

/// Small, structurally complete image files built in code, for probing.
enum ImageBytes {
    static func png(width: Int, height: Int) -> Data {
        var bytes = ImageProbe.pngSignature
        var header = be32(width) + be32(height)
        header += [8, 6, 0, 0, 0]
        bytes += chunk("IHDR", header)
        bytes += chunk("IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01])
        bytes += chunk("IEND", [])
        return Data(bytes)
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return be32(data.count) + typeBytes + data + be32(Int(CRC32.checksum(typeBytes + data)))
    }

    /// A baseline JPEG skeleton: JFIF, DQT, SOF0, DHT, one scan with stuffed bytes and a restart marker, EOI.
    static func jpeg(width: Int, height: Int, frameMarker: UInt8 = 0xC0) -> Data {
        var bytes: [UInt8] = [0xFF, 0xD8]
        bytes += segment(0xE0, Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0])
        bytes += segment(0xDB, [0] + Array(repeating: 1, count: 64))
        bytes += segment(frameMarker, [8] + be16(height) + be16(width) + [3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])
        bytes += segment(0xC4, [0x00] + Array(repeating: 0, count: 16))
        bytes += segment(0xDA, [3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0])
        bytes += [0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0x9A, 0xFF, 0x00]
        bytes += [0xFF, 0xD9]
        return Data(bytes)
    }

    static func segment(_ marker: UInt8, _ data: [UInt8]) -> [UInt8] {
        [0xFF, marker] + be16(data.count + 2) + data
    }

    /// An uncompressed 24-bit BMP with a BITMAPINFOHEADER.
    static func bmp(width: Int, height: Int, topDown: Bool = false) -> Data {
        let rowBytes = (24 * width + 31) / 32 * 4
        let pixelBytes = rowBytes * height
        let fileSize = 14 + 40 + pixelBytes
        var bytes: [UInt8] = Array("BM".utf8) + le32(fileSize) + [0, 0, 0, 0] + le32(54)
        bytes += le32(40) + le32(width) + le32(topDown ? -height : height) + [1, 0, 24, 0]
        bytes += le32(0) + le32(pixelBytes) + le32(2835) + le32(2835) + le32(0) + le32(0)
        bytes += Array(repeating: 0x7F, count: pixelBytes)
        return Data(bytes)
    }

    static func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func be32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
    static func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}

/// The images in Tests/Fixtures, found next to this source file.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }
}
