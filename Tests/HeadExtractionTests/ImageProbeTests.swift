import Foundation
import Testing
@testable import HeadExtraction

@Suite struct ImageProbeTests {
    /// Runs the probe and returns its error, or `nil` when it accepts the bytes.
    func rejection(_ data: Data, _ name: String) -> APIError? {
        do {
            _ = try ImageProbe.probe(data, name: name)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("astronaut.png", ImageFormat.png, 512, 512),
        ("coffee.png", .png, 600, 400),
        ("grace_hopper.jpg", .jpeg, 512, 600),
    ])
    func fixturesProbeWithTheirFormatAndSize(name: String, format: ImageFormat, width: Int, height: Int) throws {
        let data = try Fixtures.data(name)
        let probed = try ImageProbe.probe(data, name: name)
        #expect(probed == ProbedImage(format: format, width: width, height: height, byteCount: data.count))
        #expect(try ImageProbe.probe(fileAt: Fixtures.url(name)) == probed)
    }

    @Test func generatedImagesOfEachFormatAreAccepted() throws {
        #expect(try ImageProbe.probe(ImageBytes.png(width: 33, height: 1999), name: "a.png")
            == ProbedImage(format: .png, width: 33, height: 1999, byteCount: ImageBytes.png(width: 33, height: 1999).count))
        let jpeg = try ImageProbe.probe(ImageBytes.jpeg(width: 640, height: 480), name: "a.jpg")
        #expect(jpeg.format == .jpeg && jpeg.width == 640 && jpeg.height == 480)
        let progressive = try ImageProbe.probe(ImageBytes.jpeg(width: 100, height: 90, frameMarker: 0xC2), name: "p.jpg")
        #expect(progressive.width == 100 && progressive.height == 90)
        let bmp = try ImageProbe.probe(ImageBytes.bmp(width: 40, height: 50), name: "a.bmp")
        #expect(bmp.format == .bmp && bmp.width == 40 && bmp.height == 50)
        let topDown = try ImageProbe.probe(ImageBytes.bmp(width: 40, height: 50, topDown: true), name: "t.bmp")
        #expect(topDown.height == 50)
    }

    @Test func formatComesFromTheBytesNotTheExtension() throws {
        let probed = try ImageProbe.probe(ImageBytes.png(width: 64, height: 64), name: "really-a-png.jpg")
        #expect(probed.format == .png)
        #expect(probed.format.contentType == "image/png")
    }

    @Test func gifIsNamedInTheMessage() throws {
        let gif = Data("GIF89a".utf8) + Data([0x40, 0, 0x40, 0, 0, 0, 0])
        let error = try #require(rejection(gif, "b.gif"))
        #expect(error.code == "UNSUPPORTED_FILE_TYPES")
        #expect(error.errorClass == .input)
        #expect(error.httpStatus == 415)
        #expect(error.message == "b.gif is a GIF; the API accepts JPEG, PNG or BMP.")
    }

    @Test(arguments: [
        (Data("RIFF\0\0\0\0WEBPVP8 ".utf8), "a WebP image"),
        (Data([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]), "a TIFF image"),
        (Data([0, 0, 0, 0x18]) + Data("ftypheic".utf8), "a HEIC image"),
        (Data([0, 0, 0, 0x18]) + Data("ftypavif".utf8), "an AVIF image"),
        (Data("%PDF-1.7\n".utf8), "a PDF document"),
        (Data("  <!DOCTYPE html><html>".utf8), "an HTML page"),
    ])
    func otherFormatsAreNamed(data: Data, what: String) throws {
        let error = try #require(rejection(data, "x.jpg"))
        #expect(error.code == "UNSUPPORTED_FILE_TYPES")
        #expect(error.message == "x.jpg is \(what); the API accepts JPEG, PNG or BMP.")
    }

    @Test func emptyAndUnknownBytesAreUnsupported() throws {
        let empty = try #require(rejection(Data(), "empty.png"))
        #expect(empty.code == "UNSUPPORTED_FILE_TYPES" && empty.httpStatus == 415)
        #expect(empty.message.hasPrefix("empty.png is empty"))
        let noise = try #require(rejection(Data("hello world".utf8), "notes.png"))
        #expect(noise.code == "UNSUPPORTED_FILE_TYPES")
        #expect(noise.message.contains("notes.png"))
    }

    @Test func moreThanThreeMebibytesIsTooLarge() throws {
        var data = ImageBytes.png(width: 64, height: 64)
        data.append(Data(count: ImageProbe.maxByteCount + 1 - data.count))
        let error = try #require(rejection(data, "big.png"))
        #expect(error.code == "FILE_SIZE_EXCEEDS_LIMIT")
        #expect(error.httpStatus == 413)
        #expect(error.message.contains("big.png is 3,145,729 bytes"))
        // Exactly the limit is fine: trailing bytes after IEND are ignored.
        data.removeLast()
        #expect(try ImageProbe.probe(data, name: "edge.png").byteCount == ImageProbe.maxByteCount)
    }

    @Test func sizeIsCheckedBeforeType() throws {
        let error = try #require(rejection(Data(count: 4_000_000), "zeros.bin"))
        #expect(error.code == "FILE_SIZE_EXCEEDS_LIMIT")
    }

    @Test func oversizedFileIsRejectedFromDiskWithoutReadingItAll() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString).jpg")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(count: 5_000_000).write(to: url)
        #expect(throws: APIError.self) { try ImageProbe.probe(fileAt: url) }
        do {
            _ = try ImageProbe.probe(fileAt: url)
        } catch {
            #expect(error.code == "FILE_SIZE_EXCEEDS_LIMIT")
            #expect(error.message.contains("5,000,000 bytes"))
        }
    }

    @Test func missingFileIsUnreadable() {
        do {
            _ = try ImageProbe.probe(fileAt: URL(fileURLWithPath: "/nonexistent/face.jpg"))
            Issue.record("expected a rejection")
        } catch {
            #expect(error.code == "INPUT_UNREADABLE")
            #expect(error.errorClass == .input)
        }
    }

    @Test(arguments: [(2000, 100), (100, 2000), (2400, 2400)])
    func aSideOf2000OrMoreIsTooLarge(width: Int, height: Int) throws {
        let error = try #require(rejection(ImageBytes.png(width: width, height: height), "wide.png"))
        #expect(error.code == "FILE_RESOLUTION_EXCEEDS_LIMITS")
        #expect(error.httpStatus == 413)
        #expect(error.message.contains("\(width)x\(height)"))
    }

    @Test(arguments: [(32, 32), (32, 500), (500, 1)])
    func aSideOf32OrLessIsTooSmall(width: Int, height: Int) throws {
        let error = try #require(rejection(ImageBytes.bmp(width: width, height: height), "tiny.bmp"))
        #expect(error.code == "ERROR_LOW_RESOLUTION")
        #expect(error.httpStatus == 422)
        #expect(error.errorClass == .input)
    }

    @Test func jpegDimensionsAreCheckedToo() throws {
        let error = try #require(rejection(ImageBytes.jpeg(width: 2000, height: 1000), "big.jpg"))
        #expect(error.code == "FILE_RESOLUTION_EXCEEDS_LIMITS")
    }

    @Test func truncatedJPEGFailsToDecode() throws {
        let whole = try Fixtures.data("grace_hopper.jpg")
        for cut in [whole.count / 2, whole.count - 2, whole.count - 1, 200] {
            let error = try #require(rejection(whole.prefix(cut), "cut.jpg"), "cut at \(cut)")
            #expect(error.code == "FILE_DECODING_FAILURE")
            #expect(error.httpStatus == 422)
            #expect(error.errorClass == .input)
            #expect(error.message.hasPrefix("cut.jpg is a damaged or truncated JPEG"))
        }
    }

    @Test func jpegTablesAndFillBytesAreNotFrames() throws {
        // A DHT (C4) with size-like bytes before the real frame, and fill bytes before markers.
        let jpeg = Array(ImageBytes.jpeg(width: 300, height: 200))
        let dht = ImageBytes.segment(0xC4, [0x00, 0x07, 0xD0, 0x07, 0xD0] + Array(repeating: 0, count: 12))
        let bytes = [0xFF, 0xD8, 0xFF] + dht + [0xFF] + Array(jpeg[2...])
        let probed = try ImageProbe.probe(Data(bytes), name: "tables.jpg")
        #expect(probed.width == 300 && probed.height == 200)
        let arithmetic = try ImageProbe.probe(ImageBytes.jpeg(width: 120, height: 80, frameMarker: 0xC9), name: "a.jpg")
        #expect(arithmetic.width == 120)
        // DAC (CC) alone is not a frame, so the scan has none.
        #expect(rejection(ImageBytes.jpeg(width: 120, height: 80, frameMarker: 0xCC), "dac.jpg")?.code == "FILE_DECODING_FAILURE")
    }

    @Test func jpegWithoutScanFailsToDecode() throws {
        let bytes: [UInt8] = [0xFF, 0xD8] + ImageBytes.segment(0xC0, [8, 0, 64, 0, 64, 1, 1, 0x11, 0]) + [0xFF, 0xD9]
        #expect(rejection(Data(bytes), "noscan.jpg")?.code == "FILE_DECODING_FAILURE")
    }

    @Test func trailingPaddingAfterJPEGEndIsAccepted() throws {
        let padded = try Fixtures.data("grace_hopper.jpg") + Data(count: 100)
        #expect(try ImageProbe.probe(padded, name: "padded.jpg").width == 512)
    }

    @Test func truncatedOrCorruptPNGFailsToDecode() throws {
        let whole = try Fixtures.data("coffee.png")
        let cut = try #require(rejection(whole.prefix(whole.count - 12), "cut.png"))
        #expect(cut.code == "FILE_DECODING_FAILURE")
        var flipped = whole
        flipped[flipped.count / 2] ^= 0xFF
        let corrupt = try #require(rejection(flipped, "flipped.png"))
        #expect(corrupt.code == "FILE_DECODING_FAILURE")
        #expect(corrupt.message.contains("CRC"))
    }

    @Test func truncatedBMPFailsToDecode() throws {
        let whole = ImageBytes.bmp(width: 64, height: 64)
        #expect(rejection(whole.prefix(whole.count - 1), "cut.bmp")?.code == "FILE_DECODING_FAILURE")
        #expect(rejection(whole.prefix(30), "header.bmp")?.code == "FILE_DECODING_FAILURE")
    }

    @Test(arguments: ["grace_hopper.jpg", "coffee.png"])
    func everyTruncationIsCaught(name: String) throws {
        let whole = try Fixtures.data(name)
        for cut in stride(from: 1, to: whole.count, by: max(1, whole.count / 40)) + [whole.count - 1] {
            #expect(rejection(whole.prefix(cut), name)?.code == (cut < 3 ? "UNSUPPORTED_FILE_TYPES" : "FILE_DECODING_FAILURE"), "cut at \(cut)")
        }
        let bmp = ImageBytes.bmp(width: 50, height: 50)
        for cut in stride(from: 14, to: bmp.count, by: 97) {
            #expect(rejection(bmp.prefix(cut), "b.bmp")?.code == "FILE_DECODING_FAILURE", "bmp cut at \(cut)")
        }
    }

    @Test func structureIsCheckedBeforeDimensions() throws {
        let huge = ImageBytes.png(width: 5000, height: 5000)
        #expect(rejection(huge.prefix(huge.count - 4), "cut.png")?.code == "FILE_DECODING_FAILURE")
    }
}
