import Foundation
import Testing
@testable import HeadExtraction

@Suite struct PNGCodecTests {
    @Test func rgbaAndGrayRoundTrip() throws {
        let rgba = try PNGCodec.encode(width: 3, height: 2, pixels: Array(repeating: 200, count: 3 * 2 * 4), format: .rgba)
        #expect(rgba.starts(with: ImageProbe.pngSignature))
        let rgbaInfo = try PNGCodec.decodeInfo(rgba)
        #expect(rgbaInfo.width == 3 && rgbaInfo.height == 2 && rgbaInfo.channels == 4)
        let gray = try PNGCodec.encode(width: 5, height: 7, pixels: Array(repeating: 9, count: 35), format: .gray)
        let grayInfo = try PNGCodec.decodeInfo(gray)
        #expect(grayInfo.width == 5 && grayInfo.height == 7 && grayInfo.channels == 1)
    }

    @Test func fixturesDecodeAsRGB() throws {
        let info = try PNGCodec.decodeInfo(try Fixtures.data("coffee.png"))
        #expect(info.width == 600 && info.height == 400 && info.channels == 3)
    }

    @Test func wrongPixelCountIsRefused() {
        #expect(throws: PNGCodec.Failure.self) {
            try PNGCodec.encode(width: 2, height: 2, pixels: [1, 2, 3], format: .gray)
        }
    }

    @Test func incompleteOrForeignBytesDoNotDecode() throws {
        let png = try PNGCodec.encode(width: 40, height: 40, pixels: (0..<1600).map { UInt8($0 % 251) }, format: .gray)
        for bad in [png.prefix(png.count - 20), png.prefix(40), Data("hello".utf8), Data(), try Fixtures.data("grace_hopper.jpg")] {
            #expect(throws: PNGCodec.Failure.self) { try PNGCodec.decodeInfo(bad) }
        }
        var flipped = png
        flipped[png.count - 30] ^= 0x55
        #expect(throws: PNGCodec.Failure.self) { try PNGCodec.decodeInfo(flipped) }
    }

    /// libpng's simplified reader stops after the image data, so the chunk walk must catch these.
    @Test func pngCutAfterItsImageDataDoesNotDecode() throws {
        let png = try PNGCodec.encode(width: 40, height: 40, pixels: (0..<1600).map { UInt8($0 % 251) }, format: .gray)
        #expect(throws: PNGCodec.Failure.self) { try PNGCodec.decodeInfo(png.prefix(png.count - 12)) }
        #expect(throws: PNGCodec.Failure.self) { try PNGCodec.decodeInfo(png.prefix(png.count - 1)) }
    }
}
