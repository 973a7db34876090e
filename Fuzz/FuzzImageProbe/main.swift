import Foundation
import FuzzSupport
import HeadExtraction

// ImageProbe.probe(_:name:) on arbitrary bytes: it must return an image within the API's
// limits or throw an `input` APIError with one of the five rejection codes, and never trap.
let rejectionCodes: Set<String> = [
    "UNSUPPORTED_FILE_TYPES", "FILE_SIZE_EXCEEDS_LIMIT", "FILE_RESOLUTION_EXCEEDS_LIMITS",
    "ERROR_LOW_RESOLUTION", "FILE_DECODING_FAILURE",
]

FuzzMain.run { data in
    do throws(APIError) {
        let image = try ImageProbe.probe(data, name: "input.bin")
        precondition((ImageProbe.minSide...ImageProbe.maxSide).contains(image.width))
        precondition((ImageProbe.minSide...ImageProbe.maxSide).contains(image.height))
        precondition(image.byteCount == data.count)
    } catch {
        precondition(error.errorClass == .input, "class \(error.errorClass) for \(error.code)")
        precondition(rejectionCodes.contains(error.code), "unexpected code \(error.code)")
        precondition(error.message.hasPrefix("input.bin "), "message \(error.message)")
    }
}
