import Foundation
import FuzzSupport
import HeadExtraction
import PhotoFitting

// PhotoFitter on arbitrary bytes, header to plan to fit: it must give an upload within the
// API's limits or throw an `input` APIError with one of the fitting codes, and never trap.
// A small pixel limit keeps each input quick; the checks are the same at any size.
let codes: Set<String> = [
    "UNSUPPORTED_FILE_TYPES", "FILE_SIZE_EXCEEDS_LIMIT", "PIXEL_LIMIT_EXCEEDED",
    "ERROR_LOW_RESOLUTION", "FILE_DECODING_FAILURE",
]
var limits = FitLimits.api
limits.maxPixels = 4_000_000

FuzzMain.run { data in
    do throws(APIError) {
        let header = try PhotoFitter.header(of: data, name: "input.bin", maxPixels: limits.maxPixels)
        precondition(header.width > 0 && header.height > 0 && header.width * header.height <= limits.maxPixels)
        precondition(header.byteCount == data.count)
        switch try PhotoFitter.plan(header, limits: limits, name: "input.bin") {
        case .asIs:
            precondition(header.orientation == 1 && data.count <= ImageProbe.maxByteCount)
        case .fit(let target):
            let fitted = try PhotoFitter.fit(data, header: header, limits: limits, name: "input.bin")
            precondition(fitted.width <= target.width && fitted.height <= target.height)
            precondition((ImageProbe.minSide...ImageProbe.maxSide).contains(fitted.width))
            precondition((ImageProbe.minSide...ImageProbe.maxSide).contains(fitted.height))
            precondition(fitted.bytes.count <= ImageProbe.maxByteCount)
            // What is sent passes the API's own checks.
            _ = try ImageProbe.probe(fitted.bytes, name: "fitted.jpg")
        }
    } catch {
        precondition(error.errorClass == .input, "class \(error.errorClass) for \(error.code): \(error.message)")
        precondition(codes.contains(error.code), "unexpected code \(error.code)")
        precondition(error.message.hasPrefix("input.bin "), "message \(error.message)")
    }
}
