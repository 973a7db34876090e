import Foundation
import Testing
@testable import HeadExtraction

/// Replays the inputs the fuzzers kept (Tests/Fixtures/fuzz/<target>/, see scripts/fuzz) with the
/// same checks as the harnesses in Fuzz/, so a crash they found cannot come back unnoticed.
@Suite struct FuzzRegressionTests {
    static func inputs(_ target: String) -> [String] {
        let folder = Fixtures.url("fuzz/\(target)")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    static func input(_ target: String, _ name: String) throws -> Data {
        try Fixtures.data("fuzz/\(target)/\(name)")
    }

    static let rejectionCodes: Set<String> = [
        "UNSUPPORTED_FILE_TYPES", "FILE_SIZE_EXCEEDS_LIMIT", "FILE_RESOLUTION_EXCEEDS_LIMITS",
        "ERROR_LOW_RESOLUTION", "FILE_DECODING_FAILURE",
    ]
    static let secret = "sk-fuzz-0123456789abcdef"

    @Test(arguments: ["FuzzImageProbe", "FuzzEnvelope", "FuzzPNGCodec"])
    func everyTargetHasInputs(target: String) {
        #expect(Self.inputs(target).count >= 5)
    }

    @Test(arguments: inputs("FuzzImageProbe"))
    func imageProbe(name: String) throws {
        let data = try Self.input("FuzzImageProbe", name)
        do throws(APIError) {
            let image = try ImageProbe.probe(data, name: "input.bin")
            #expect((ImageProbe.minSide...ImageProbe.maxSide).contains(image.width))
            #expect((ImageProbe.minSide...ImageProbe.maxSide).contains(image.height))
            #expect(image.byteCount == data.count)
        } catch {
            #expect(error.errorClass == .input)
            #expect(Self.rejectionCodes.contains(error.code))
            #expect(error.message.hasPrefix("input.bin "))
        }
    }

    /// A BMP whose pixel data size (4 × 2147483646 × 1073741825 = 2^63 − 8 bytes) fits in an
    /// Int but overflowed, and trapped, once the pixel offset was added to it.
    @Test func bmpPixelSizeNearIntMaxIsTruncationNotATrap() throws {
        let data = try Self.input("FuzzImageProbe", "review-bmp-pixel-size-overflow.bmp")
        let error = #expect(throws: APIError.self) { try ImageProbe.probe(data, name: "huge.bmp") }
        #expect(error?.code == "FILE_DECODING_FAILURE")
        #expect(error?.message == "huge.bmp is a damaged or truncated BMP that ends inside its pixel data; re-export or download it again.")
    }

    /// Found by Fuzz/FuzzEnvelope: `request_id` echoes the key, `error_detail` does not decode
    /// (so the answer reads as a success) and there is no `data`; the error quoted the id as sent.
    @Test func successWithoutElementsRedactsTheRequestID() throws {
        let data = try Self.input("FuzzEnvelope", "crash-request-id-echoes-key.json")
        let envelope = try Envelope.decode(data, httpStatus: 200)
        #expect(envelope.requestID == Self.secret && envelope.isSuccess(httpStatus: 200))
        let error = #expect(throws: APIError.self) { try envelope.resultElements(redacting: Self.secret) }
        #expect(error?.code == "MALFORMED_RESPONSE" && error?.requestID == "<redacted>")
        #expect(error?.message == "The API answered HTTP 200 reporting success but without data.elements; try again later (request id <redacted>).")
    }

    /// Found by Fuzz/FuzzEnvelope: the API's words held the key with a capital first letter, which
    /// redaction missed and the sentence fragment then lowercased back into the key.
    @Test func keyCapitalizedAtTheStartOfTheAPIMessageStaysRedacted() throws {
        let data = try Self.input("FuzzEnvelope", "crash-capitalized-key-lowercased.json")
        let failure = try Envelope.decode(data, httpStatus: 429).failure(httpStatus: 429, redacting: Self.secret)
        #expect(failure.code == "HTTP_429" && failure.errorClass == .transient)
        #expect(failure.message == "The API is busy or failing (HTTP_429: <redacted>x); try again later.")

        let direct = APIError.fromAnswer(code: "VENDOR_NEW_CODE", httpStatus: 500, apiMessage: "Sk-fuzz-0123456789abcdef is revoked.", redacting: Self.secret)
        #expect(direct.message == "The API is busy or failing (VENDOR_NEW_CODE: <redacted> is revoked); try again later.")
    }

    @Test(arguments: inputs("FuzzPNGCodec"))
    func pngCodec(name: String) throws {
        let data = try Self.input("FuzzPNGCodec", name)
        let info: (width: Int, height: Int, channels: Int)
        do throws(PNGCodec.Failure) {
            info = try PNGCodec.decodeInfo(data)
        } catch {
            #expect(!error.message.isEmpty)
            return
        }
        #expect(info.width > 0 && info.height > 0 && (1...4).contains(info.channels))
        if let probed = try? ImageProbe.probe(data, name: "input.png") {
            #expect(probed.format == .png && probed.width == info.width && probed.height == info.height)
        }
    }

    @Test(arguments: inputs("FuzzEnvelope"))
    func envelope(name: String) throws {
        let data = try Self.input("FuzzEnvelope", name)
        for status in [200, 429, 503] {
            let envelope: Envelope
            do throws(APIError) {
                envelope = try Envelope.decode(data, httpStatus: status)
            } catch {
                #expect(error.code == Envelope.malformedCode && error.errorClass == .transient)
                check(error)
                continue
            }
            if envelope.isSuccess(httpStatus: status) {
                do throws(APIError) {
                    for element in try envelope.resultElements(redacting: Self.secret) { #expect(element.imageURL.scheme != nil) }
                } catch {
                    #expect(error.code == Envelope.malformedCode)
                    check(error)
                }
            } else {
                check(envelope.failure(httpStatus: status, redacting: Self.secret))
            }
            #expect(try Envelope.decode(envelope.jsonData(), httpStatus: status) == envelope)
        }
    }

    private func check(_ error: APIError) {
        #expect(!error.code.isEmpty && !error.message.isEmpty)
        #expect(!error.message.contains(Self.secret))
        #expect(!error.code.contains(Self.secret) && !(error.requestID ?? "").contains(Self.secret))
    }
}
