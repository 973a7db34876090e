import Foundation

/// Checks an image against the API's limits before it is uploaded, so a bad input costs no call.
///
/// ```swift
/// let probed = try ImageProbe.probe(fileAt: URL(fileURLWithPath: "photo.jpg"))
/// print(probed.format, probed.width, probed.height)
/// ```
///
/// The format comes from the bytes, never from the file name. Rejections carry the API's own
/// codes and the HTTP status the API serves them with, all of class ``ErrorClass/input``.
///
/// Checks run in this order, so the first message names the most useful fix:
/// 1. size (`FILE_SIZE_EXCEEDS_LIMIT`): known without parsing, and the API refuses an oversized
///    upload before it looks at the bytes; ``probe(fileAt:)`` never reads past the limit anyway;
/// 2. type (`UNSUPPORTED_FILE_TYPES`): converting the file is the first thing to do;
/// 3. structure (`FILE_DECODING_FAILURE`): the sizes of a damaged file cannot be trusted;
/// 4. dimensions (`FILE_RESOLUTION_EXCEEDS_LIMITS`, `ERROR_LOW_RESOLUTION`).
public enum ImageProbe {
    /// The largest file the API accepts: 3 MiB.
    public static let maxByteCount = 3_145_728
    /// The smallest accepted side, in pixels (the API wants more than 32).
    public static let minSide = 33
    /// The largest accepted side, in pixels (the API wants less than 2000).
    public static let maxSide = 1999

    /// Probes image bytes.
    ///
    /// - Parameters:
    ///   - data: the whole file.
    ///   - name: the name used in messages, usually the file's last path component.
    /// - Throws: ``APIError`` of class `input` naming the file and what to do.
    public static func probe(_ data: Data, name: String) throws(APIError) -> ProbedImage {
        try probe(Array(data), byteCount: data.count, name: name)
    }

    /// Probes an image file, reading at most ``maxByteCount`` + 1 bytes of it.
    ///
    /// - Throws: ``APIError`` of class `input`; `INPUT_UNREADABLE` when the file cannot be read.
    public static func probe(fileAt url: URL) throws(APIError) -> ProbedImage {
        let name = url.lastPathComponent
        let bytes: [UInt8]
        let byteCount: Int
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            byteCount = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
            bytes = Array(try handle.read(upToCount: maxByteCount + 1) ?? Data())
        } catch {
            throw APIError(
                code: "INPUT_UNREADABLE", errorClass: .input,
                message: "\(name) cannot be read; check that the file exists and is readable."
            )
        }
        return try probe(bytes, byteCount: max(byteCount, bytes.count), name: name)
    }

    static func probe(_ bytes: [UInt8], byteCount: Int, name: String) throws(APIError) -> ProbedImage {
        guard byteCount <= maxByteCount else {
            throw rejection("FILE_SIZE_EXCEEDS_LIMIT", 413, "\(name) is \(grouped(byteCount)) bytes, more than the API's limit of 3 MiB (3,145,728 bytes); shrink or recompress it.")
        }
        guard !bytes.isEmpty else {
            throw rejection("UNSUPPORTED_FILE_TYPES", 415, "\(name) is empty; choose a JPEG, PNG or BMP image.")
        }
        guard let format = acceptedFormat(of: bytes) else {
            if let what = refusedFormatName(of: bytes) {
                throw rejection("UNSUPPORTED_FILE_TYPES", 415, "\(name) is \(what); the API accepts JPEG, PNG or BMP.")
            }
            throw rejection("UNSUPPORTED_FILE_TYPES", 415, "\(name) is not a JPEG, PNG or BMP image; convert it to one of those.")
        }

        let size: (width: Int, height: Int)
        do {
            switch format {
            case .png: size = try pngDimensions(bytes)
            case .jpeg: size = try jpegDimensions(bytes)
            case .bmp: size = try bmpDimensions(bytes)
            }
        } catch {
            throw rejection("FILE_DECODING_FAILURE", 422, "\(name) is a damaged or truncated \(format.displayName) that \(error.reason); re-export or download it again.")
        }

        let dimensions = "\(size.width)x\(size.height) pixels"
        if max(size.width, size.height) > maxSide {
            throw rejection("FILE_RESOLUTION_EXCEEDS_LIMITS", 413, "\(name) is \(dimensions), but the API accepts at most \(maxSide) pixels a side; scale it down.")
        }
        if min(size.width, size.height) < minSide {
            throw rejection("ERROR_LOW_RESOLUTION", 422, "\(name) is \(dimensions), but the API needs more than 32 pixels a side; use a larger image.")
        }
        return ProbedImage(format: format, width: size.width, height: size.height, byteCount: byteCount)
    }

    private static func rejection(_ code: String, _ status: Int, _ message: String) -> APIError {
        APIError(code: code, errorClass: .input, message: message, httpStatus: status)
    }

    /// `4200000` as `4,200,000`, independent of the locale.
    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }
}
