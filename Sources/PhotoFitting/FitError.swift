import HeadExtraction

/// The ``HeadExtraction/APIError``s fitting throws: the API's own codes where the API has one,
/// each message one sentence naming the file and what to do.
enum FitError {
    /// `PIXEL_LIMIT_EXCEEDED`: the header claims more pixels than fitting will read.
    static let pixelLimitCode = "PIXEL_LIMIT_EXCEEDED"

    static func input(_ code: String, _ status: Int, _ message: String) -> APIError {
        APIError(code: code, errorClass: .input, message: message, httpStatus: status)
    }

    static func unsupported(_ name: String, _ message: String) -> APIError {
        input("UNSUPPORTED_FILE_TYPES", 415, message)
    }

    static func pixelLimit(_ name: String, width: Int, height: Int, maxPixels: Int) -> APIError {
        input(pixelLimitCode, 413, "\(name) claims \(width)x\(height) pixels (\(ImageProbe.grouped(width * height))), more than the \(ImageProbe.grouped(maxPixels)) pixels assets reads; scale it down first.")
    }

    static func undecodable(_ name: String, _ format: PhotoFormat) -> APIError {
        input("FILE_DECODING_FAILURE", 422, "\(name) is a damaged, truncated or unreadable \(format.displayName) file; re-export or download it again.")
    }

    static func lowResolution(_ name: String, _ message: String) -> APIError {
        input("ERROR_LOW_RESOLUTION", 422, message)
    }

    static func tooLarge(_ name: String, maxBytes: Int) -> APIError {
        input("FILE_SIZE_EXCEEDS_LIMIT", 413, "\(name) cannot be compressed to \(ImageProbe.grouped(maxBytes)) bytes without going below the smallest size allowed; crop it or shrink it yourself.")
    }

    /// libvips is not installed where `assets` runs (it is opened on first use, not linked).
    static func libraryMissing(_ name: String) -> APIError {
        APIError(code: "INTERNAL_ERROR", errorClass: .internal, message: "\(name) cannot be read because libvips 8 (libvips42) is not installed on this machine; install it, or send only JPEG, PNG and BMP photos the engine takes as they are with fitting turned off.")
    }

    static func internalFailure(_ name: String, _ what: String) -> APIError {
        APIError(code: "INTERNAL_ERROR", errorClass: .internal, message: "Fitting \(name) failed inside libvips (\(what)); report this with the file.")
    }
}
