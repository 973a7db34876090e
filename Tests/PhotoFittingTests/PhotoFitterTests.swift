import AssetTransport
import Foundation
import HeadExtraction
import Testing
@testable import PhotoFitting

@Suite struct PhotoFitterTests {
    let api = FitLimits.api

    func header(_ data: Data, _ name: String = "photo") throws -> PhotoHeader {
        try PhotoFitter.header(of: data, name: name, maxPixels: api.maxPixels)
    }

    func code(_ body: () throws(APIError) -> Void) -> APIError? {
        do throws(APIError) {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func profileNamesTheLibvipsRelease() {
        #expect(PhotoFitter.profile.hasPrefix("fit-1-vips-8."))
        #expect(PhotoFitter.profile == "fit-1-vips-\(Vips.version)")
    }

    @Test func photoWithinLimitsGoesAsIs() throws {
        let data = try TestPhotos.fixture("grace_hopper.jpg")
        let found = try header(data)
        #expect(found == PhotoHeader(format: .jpeg, width: 512, height: 600, orientation: 1, byteCount: data.count))
        #expect(try PhotoFitter.plan(found, limits: api, name: "grace_hopper.jpg") == .asIs)
    }

    @Test func exif6JPEGIsFittedUpright() throws {
        // Stored 2400x1800, shown turned 90° clockwise: upright 1800x2400.
        let stored = try TestPhotos.scaled("grace_hopper.jpg", width: 2400, height: 1800)
        let data = try TestPhotos.jpeg(stored, orientation: 6)
        let found = try header(data, "phone.jpg")
        #expect(found.width == 2400 && found.height == 1800 && found.orientation == 6)
        #expect(found.uprightWidth == 1800 && found.uprightHeight == 2400)
        #expect(try PhotoFitter.plan(found, limits: api, name: "phone.jpg") == .fit(FitTarget(width: 1499, height: 1999)))

        let fitted = try PhotoFitter.fit(data, header: found, limits: api, name: "phone.jpg")
        #expect(fitted.width == 1499 && fitted.height == 1999 && fitted.format == .jpeg)
        #expect(abs(fitted.scaleX - 1800.0 / 1499) < 1e-12 && abs(fitted.scaleY - 2400.0 / 1999) < 1e-12)
        // Sent upright and without EXIF: nothing left for the engine to turn.
        let sent = try header(fitted.bytes, "fitted.jpg")
        #expect(sent == PhotoHeader(format: .jpeg, width: 1499, height: 1999, orientation: 1, byteCount: fitted.bytes.count))
        #expect(!fitted.bytes.contains(Data("Exif".utf8)))
        _ = try ImageProbe.probe(fitted.bytes, name: "fitted.jpg")

        // The same content as the upright original, scaled: compare at the fitted size.
        let reference = try TestPhotos.upright(try TestPhotos.jpeg(try TestPhotos.scaled("grace_hopper.jpg", width: 2400, height: 1800), orientation: 6))
        #expect(reference.width == 1800 && reference.height == 2400)
        let sentPixels = try TestPhotos.upright(fitted.bytes)
        let probes = [(0.25, 0.25), (0.75, 0.25), (0.5, 0.5), (0.25, 0.8), (0.8, 0.8)]
        var difference = 0
        for (fx, fy) in probes {
            let a = ((Int(fy * 2400) * 1800) + Int(fx * 1800)) * 3
            let b = ((Int(fy * 1999) * 1499) + Int(fx * 1499)) * 3
            difference += (0..<3).map { abs(Int(reference.pixels[a + $0]) - Int(sentPixels.pixels[b + $0])) }.reduce(0, +)
        }
        #expect(difference < 15 * probes.count * 3)
        #expect(fitted.sha256 == SHA256Hex.of(fitted.bytes))
    }

    @Test func pngOver1999IsFitted() throws {
        let data = try TestPhotos.scaled("astronaut.png", width: 2400, height: 1200).png()
        let found = try header(data, "wide.png")
        #expect(found.format == .png && found.width == 2400 && found.height == 1200)
        #expect(try PhotoFitter.plan(found, limits: api, name: "wide.png") == .fit(FitTarget(width: 1999, height: 1000)))
        let fitted = try PhotoFitter.fit(data, header: found, limits: api, name: "wide.png")
        #expect(fitted.width == 1999 && fitted.height == 1000)
        #expect(fitted.bytes.count <= 3_145_728 && fitted.quality == 90)
        let probed = try ImageProbe.probe(fitted.bytes, name: "fitted.jpg")
        #expect(probed.format == .jpeg && probed.width == 1999 && probed.height == 1000)
    }

    @Test func pngOver3MiBIsFittedUnder3MiB() throws {
        let data = try TestPhotos.noise(width: 1100, height: 1100).png()
        #expect(data.count > 3_145_728)
        let found = try header(data, "noise.png")
        #expect(try PhotoFitter.plan(found, limits: api, name: "noise.png") == .fit(FitTarget(width: 1100, height: 1100)))
        let fitted = try PhotoFitter.fit(data, header: found, limits: api, name: "noise.png")
        #expect(fitted.bytes.count <= 3_145_728)
        #expect(fitted.width == 1100 && fitted.height == 1100 && fitted.scaleX == 1 && fitted.scaleY == 1)
    }

    @Test func qualityThenSizeStepDownToTheByteLimit() throws {
        let data = try TestPhotos.noise(width: 600, height: 600).png()
        var limits = api
        limits.maxBytes = 60_000
        let found = try header(data, "noise.png")
        let fitted = try PhotoFitter.fit(data, header: found, limits: limits, name: "noise.png")
        #expect(fitted.bytes.count <= 60_000)
        // Even the lowest quality is too big at 600x600, so the size stepped down too.
        let full = try TestPhotos.noise(width: 600, height: 600).jpeg(quality: PhotoFitter.qualities.last!)
        #expect(full.count > 60_000)
        #expect(fitted.width < 600 && fitted.width == fitted.height)
        #expect(PhotoFitter.qualities.contains(fitted.quality))
        #expect(abs(fitted.scaleX - 600.0 / Double(fitted.width)) < 1e-12)
    }

    @Test(arguments: [PhotoFormat.webp, .heif, .avif, .tiff, .gif])
    func otherFormatsAreDecodedAndFitted(format: PhotoFormat) throws {
        try #require(Codecs.canDecode(format), "this machine's libheif cannot decode \(format.displayName); skipped")
        let source = try TestPhotos.scaled("grace_hopper.jpg", width: 256, height: 300)
        let data: Data
        do {
            data = try source.encoded(as: format)
        } catch {
            // An encoder libheif may lack (AVIF needs aom or rav1e): say so rather than fail.
            withKnownIssue("this machine's libvips cannot write \(format.displayName): \(error)") { throw error }
            return
        }
        let found = try header(data, "photo.\(format.rawValue)")
        #expect(found.format == format && found.width == 256 && found.height == 300 && found.orientation == 1)
        #expect(try PhotoFitter.plan(found, limits: api, name: "photo") == .fit(FitTarget(width: 256, height: 300)))
        let fitted = try PhotoFitter.fit(data, header: found, limits: api, name: "photo")
        let probed = try ImageProbe.probe(fitted.bytes, name: "fitted.jpg")
        #expect(probed.format == .jpeg && probed.width == 256 && probed.height == 300)
        // Recognisably the same picture: the fitted photo's mean is near the source's.
        let a = try source.pixels(), b = try TestPhotos.upright(fitted.bytes).pixels
        let meanA = Double(a.reduce(0) { $0 + Int($1) }) / Double(a.count)
        let meanB = Double(b.reduce(0) { $0 + Int($1) }) / Double(b.count)
        #expect(abs(meanA - meanB) < 8)
    }

    @Test func bmpOver1999IsFitted() throws {
        let data = try TestPhotos.bmp(try TestPhotos.scaled("coffee.png", width: 2100, height: 120))
        let found = try header(data, "scan.bmp")
        #expect(found == PhotoHeader(format: .bmp, width: 2100, height: 120, orientation: 1, byteCount: data.count))
        let fitted = try PhotoFitter.fit(data, header: found, limits: api, name: "scan.bmp")
        #expect(fitted.width == 1999 && fitted.height == 114)
        _ = try ImageProbe.probe(fitted.bytes, name: "fitted.jpg")
    }

    @Test func tinyPhotoIsRefused() throws {
        let data = try TestPhotos.scaled("coffee.png", width: 20, height: 20).png()
        let found = try header(data, "tiny.png")
        let error = code { () throws(APIError) in _ = try PhotoFitter.plan(found, limits: api, name: "tiny.png") }
        #expect(error?.code == "ERROR_LOW_RESOLUTION" && error?.errorClass == .input)
        #expect(error?.message.hasPrefix("tiny.png ") == true)
        #expect(ErrorClassifier.classify(code: "ERROR_LOW_RESOLUTION", httpStatus: 422) == .input)
    }

    @Test func photoThatFittingWouldLeaveThinIsRefused() throws {
        // 4000x60 fits to 1999x30: a side of 32 px or less is not worth a paid call.
        let found = PhotoHeader(format: .png, width: 4000, height: 60, orientation: 1, byteCount: 1000)
        let error = code { () throws(APIError) in _ = try PhotoFitter.plan(found, limits: api, name: "strip.png") }
        #expect(error?.code == "ERROR_LOW_RESOLUTION" && error?.errorClass == .input)
    }

    @Test func pixelBombIsRefusedFromItsHeader() throws {
        let small = try TestPhotos.scaled("coffee.png", width: 64, height: 64).png()
        let bomb = TestPhotos.claimingSize(small, width: 30_000, height: 30_000)
        #expect(bomb.count == small.count)
        let before = peakResidentBytes()
        let error = code { () throws(APIError) in _ = try PhotoFitter.header(of: bomb, name: "bomb.png", maxPixels: FitLimits.defaultMaxPixels) }
        #expect(error?.code == "PIXEL_LIMIT_EXCEEDED" && error?.errorClass == .input && error?.httpStatus == 413)
        #expect(error?.message.hasPrefix("bomb.png ") == true)
        // 900 MP of RGB would be 2.7 GB; reading the header allocates nothing of the sort.
        #expect(peakResidentBytes() - before < 100_000_000)
        #expect(ErrorClassifier.classify(code: "PIXEL_LIMIT_EXCEEDED", httpStatus: 413) == .input)
    }

    @Test func jpegPixelBombIsRefusedFromItsHeader() throws {
        var bytes = [UInt8](try TestPhotos.fixture("grace_hopper.jpg"))
        let frame = try #require((2..<bytes.count - 9).first { bytes[$0] == 0xFF && [0xC0, 0xC2].contains(bytes[$0 + 1]) })
        for (offset, value) in [(frame + 5, 30_000), (frame + 7, 30_000)] {
            bytes[offset] = UInt8(value >> 8)
            bytes[offset + 1] = UInt8(value & 0xFF)
        }
        let error = code { () throws(APIError) in _ = try PhotoFitter.header(of: Data(bytes), name: "bomb.jpg", maxPixels: FitLimits.defaultMaxPixels) }
        #expect(error?.code == "PIXEL_LIMIT_EXCEEDED")
    }

    @Test func theLimitIsConfigurable() throws {
        let data = try TestPhotos.fixture("grace_hopper.jpg")
        let error = code { () throws(APIError) in _ = try PhotoFitter.header(of: data, name: "g.jpg", maxPixels: 512 * 600 - 1) }
        #expect(error?.code == "PIXEL_LIMIT_EXCEEDED")
        #expect(try PhotoFitter.header(of: data, name: "g.jpg", maxPixels: 512 * 600).width == 512)
    }

    @Test func headerThatLiesFailsToDecode() throws {
        // A 64x64 PNG whose header says 640x640: the structure is sound, the pixels are not there.
        let liar = TestPhotos.claimingSize(try TestPhotos.scaled("coffee.png", width: 64, height: 64).png(), width: 640, height: 640)
        let found = try header(liar, "liar.png")
        #expect(found.width == 640)
        let error = code { () throws(APIError) in _ = try PhotoFitter.fit(liar, header: found, limits: api, name: "liar.png") }
        #expect(error?.code == "FILE_DECODING_FAILURE" && error?.errorClass == .input)
        #expect(error?.message.hasPrefix("liar.png ") == true)
    }

    @Test func truncatedFilesFailToDecode() throws {
        let jpeg = try TestPhotos.fixture("grace_hopper.jpg")
        let cutJPEG = code { () throws(APIError) in _ = try PhotoFitter.header(of: jpeg.prefix(jpeg.count / 2), name: "cut.jpg", maxPixels: FitLimits.defaultMaxPixels) }
        #expect(cutJPEG?.code == "FILE_DECODING_FAILURE")
        let webp = try TestPhotos.scaled("coffee.png", width: 300, height: 200).encoded(as: .webp)
        let cutWebP = code { () throws(APIError) in
            let cut = webp.prefix(webp.count / 2)
            let found = try PhotoFitter.header(of: cut, name: "cut.webp", maxPixels: FitLimits.defaultMaxPixels)
            _ = try PhotoFitter.fit(cut, header: found, limits: FitLimits.api, name: "cut.webp")
        }
        #expect(cutWebP?.code == "FILE_DECODING_FAILURE" && cutWebP?.message.hasPrefix("cut.webp ") == true)
    }

    @Test func unknownAndEmptyAreUnsupported() {
        for (bytes, name) in [(Data("%PDF-1.7 hello".utf8), "doc.jpg"), (Data(), "empty.png")] {
            let error = code { () throws(APIError) in _ = try PhotoFitter.header(of: bytes, name: name, maxPixels: 1000) }
            #expect(error?.code == "UNSUPPORTED_FILE_TYPES" && error?.errorClass == .input && error?.httpStatus == 415)
            #expect(error?.message.hasPrefix(name + " ") == true)
        }
    }

    @Test func fittingIsDeterministic() async throws {
        let stored = try TestPhotos.scaled("coffee.png", width: 2400, height: 1600)
        let data = try TestPhotos.jpeg(stored, orientation: 8)
        let found = try header(data)
        let first = try PhotoFitter.fit(data, header: found, limits: api, name: "photo")
        let second = try PhotoFitter.fit(data, header: found, limits: api, name: "photo")
        let elsewhere = try await Task.detached { try PhotoFitter.fit(data, header: found, limits: FitLimits.api, name: "photo") }.value
        #expect(first.bytes == second.bytes && first.bytes == elsewhere.bytes)
        #expect(first.sha256 == second.sha256 && first.width == 1333 && first.height == 1999)
    }

    /// The first try streams (decode to encode in one pass); later tries encode pixels held in
    /// memory. Both must give the same bytes, or a photo's upload would depend on its size.
    @Test func streamedAndHeldPixelsGiveTheSameBytes() throws {
        let data = try TestPhotos.jpeg(try TestPhotos.scaled("coffee.png", width: 2400, height: 1600), orientation: 6)
        let found = try header(data)
        let target = FitTarget(width: 1333, height: 1999)
        let (streamed, held) = try Vips.reading(data) { buffer throws(Vips.Failure) in
            (try PhotoFitter.uprightPixels(buffer, header: found, target: target).jpeg(quality: 90),
             try PhotoFitter.uprightPixels(buffer, header: found, target: target).inMemory().jpeg(quality: 90))
        }
        #expect(streamed == held)
        #expect(try PhotoFitter.fit(data, header: found, limits: api, name: "photo").bytes == streamed)
    }

    @Test func engineThatTakesOnlyPNGGetsPNG() throws {
        let data = try TestPhotos.fixture("grace_hopper.jpg")
        let limits = FitLimits(formats: [.png], maxBytes: nil, minSide: 33, maxSide: 400)
        let found = try header(data)
        let fitted = try PhotoFitter.fit(data, header: found, limits: limits, name: "g.jpg")
        #expect(fitted.format == .png && PhotoFormat.sniff(fitted.bytes) == .png)
        #expect(fitted.width == 341 && fitted.height == 400)
    }

    @Test func limitsComeFromAnEnginesProbeLimits() {
        #expect(FitLimits(ImageProbe.Limits.api) == FitLimits.api)
        let plugin = FitLimits(ImageProbe.Limits(formats: [.png], maxBytes: nil, minSide: 16, maxSide: nil, maxPixels: 4_000_000, accepter: "the local backend"))
        #expect(plugin.formats == [.png] && plugin.maxUploadPixels == 4_000_000 && plugin.maxPixels == FitLimits.defaultMaxPixels)
        let error = code { () throws(APIError) in
            _ = try PhotoFitter.plan(PhotoHeader(format: .png, width: 10, height: 100, orientation: 1, byteCount: 10), limits: plugin, name: "thin.png")
        }
        #expect(error?.message == "thin.png is 10x100 pixels, but the local backend needs at least 16 pixels a side; use a larger photo.")
    }

    @Test func uploadPixelLimitShrinksTheTarget() {
        var limits = api
        limits.maxUploadPixels = 1_000_000
        let target = PhotoFitter.target(width: 1500, height: 1500, limits: limits)
        #expect(target.width * target.height <= 1_000_000 && target.width >= 999)
    }

    private func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }
}
