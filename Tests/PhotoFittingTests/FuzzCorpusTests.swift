import Foundation
import HeadExtraction
import PhotoFitting
import Testing
import TestSupport

/// Replays the inputs the fuzzer kept (Tests/Fixtures/fuzz/FuzzPhotoFitter/, see scripts/fuzz)
/// with the harness's checks, so a crash it found cannot come back unnoticed.
@Suite struct FuzzCorpusTests {
    static let folder = Repository.fixture("fuzz/FuzzPhotoFitter")
    static let inputs = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    static let codes: Set<String> = ["UNSUPPORTED_FILE_TYPES", "FILE_SIZE_EXCEEDS_LIMIT", "PIXEL_LIMIT_EXCEEDED", "ERROR_LOW_RESOLUTION", "FILE_DECODING_FAILURE"]

    @Test func hasASeedPerFormat() {
        #expect(Self.inputs.count >= 9)
    }

    @Test(arguments: inputs)
    func fitsOrFailsCleanly(name: String) throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent(name))
        var limits = FitLimits.api
        limits.maxPixels = 4_000_000
        do throws(APIError) {
            let header = try PhotoFitter.header(of: data, name: "input.bin", maxPixels: limits.maxPixels)
            if case .fit(let target) = try PhotoFitter.plan(header, limits: limits, name: "input.bin") {
                let fitted = try PhotoFitter.fit(data, header: header, limits: limits, name: "input.bin")
                #expect(fitted.width <= target.width && fitted.height <= target.height)
                #expect(fitted.bytes.count <= ImageProbe.maxByteCount)
                _ = try ImageProbe.probe(fitted.bytes, name: "fitted.jpg")
            }
        } catch {
            #expect(error.errorClass == .input && Self.codes.contains(error.code), "\(error.code): \(error.message)")
            #expect(error.message.hasPrefix("input.bin "))
        }
    }
}
