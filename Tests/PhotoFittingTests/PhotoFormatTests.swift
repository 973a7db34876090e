import Foundation
import Testing
@testable import PhotoFitting

@Suite struct PhotoFormatTests {
    @Test func sniffsByBytes() throws {
        #expect(PhotoFormat.sniff(try TestPhotos.fixture("grace_hopper.jpg")) == .jpeg)
        #expect(PhotoFormat.sniff(try TestPhotos.fixture("coffee.png")) == .png)
        #expect(PhotoFormat.sniff(Data("GIF89a......".utf8)) == .gif)
        #expect(PhotoFormat.sniff(Data("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .webp)
        #expect(PhotoFormat.sniff(Data([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0])) == .tiff)
        #expect(PhotoFormat.sniff(Data([0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8])) == .tiff)
        #expect(PhotoFormat.sniff(Data("BM".utf8) + Data(count: 60)) == .bmp)
        #expect(PhotoFormat.sniff(Data("%PDF-1.7".utf8)) == nil)
        #expect(PhotoFormat.sniff(Data()) == nil)
    }

    /// `ftyp` brands: HEIC and AVIF by the major brand, or by a compatible one under `mif1`.
    @Test(arguments: [
        ("heic", ["mif1", "heic"], PhotoFormat.heif),
        ("avif", ["mif1", "avif"], .avif),
        ("mif1", ["avif", "miaf"], .avif),
        ("mif1", ["heic"], .heif),
        ("isom", ["mp41"], nil),
    ] as [(String, [String], PhotoFormat?)])
    func sniffsISOMediaBrands(major: String, compatible: [String], expected: PhotoFormat?) {
        let brands = Data(major.utf8) + Data([0, 0, 0, 0]) + compatible.reduce(Data()) { $0 + Data($1.utf8) }
        let size = 8 + brands.count
        let box = Data([0, 0, 0, UInt8(size)]) + Data("ftyp".utf8) + brands
        #expect(PhotoFormat.sniff(box + Data(count: 16)) == expected)
    }

    @Test func encodedFormatsSniffAsThemselves() throws {
        let image = try TestPhotos.scaled("coffee.png", width: 60, height: 40)
        for format in [PhotoFormat.jpeg, .png, .webp, .tiff, .gif] {
            #expect(PhotoFormat.sniff(try image.encoded(as: format)) == format)
        }
    }
}
