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

    /// Probes image bytes against another engine's limits (a plugin's, say).
    public static func probe(_ data: Data, name: String, limits: Limits) throws(APIError) -> ProbedImage {
        try probe(Array(data), byteCount: data.count, name: name, limits: limits)
    }

    /// What an engine accepts, and who it is in messages.
    public struct Limits: Sendable, Hashable {
        /// The formats it reads.
        public var formats: Set<ImageFormat>
        /// The largest file, in bytes, if there is a limit.
        public var maxBytes: Int?
        /// The smallest side allowed, in pixels.
        public var minSide: Int
        /// The largest side, in pixels, if there is a limit.
        public var maxSide: Int?
        /// The most pixels, if there is a limit.
        public var maxPixels: Int?
        /// Who accepts, as messages name it: `the API`, `the local backend`.
        public var accepter: String

        public init(formats: Set<ImageFormat>, maxBytes: Int?, minSide: Int, maxSide: Int?, maxPixels: Int? = nil, accepter: String) {
            self.formats = formats
            self.maxBytes = maxBytes
            self.minSide = max(1, minSide)
            self.maxSide = maxSide
            self.maxPixels = maxPixels
            self.accepter = accepter
        }

        /// The API's: JPEG, PNG or BMP, at most 3 MiB, each side 33 to 1999 px.
        public static let api = Limits(formats: [.jpeg, .png, .bmp], maxBytes: ImageProbe.maxByteCount, minSide: ImageProbe.minSide, maxSide: ImageProbe.maxSide, accepter: "the API")
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

    static func probe(_ bytes: [UInt8], byteCount: Int, name: String, limits: Limits = .api) throws(APIError) -> ProbedImage {
        let who = limits.accepter
        if let maxBytes = limits.maxBytes, byteCount > maxBytes {
            throw rejection("FILE_SIZE_EXCEEDS_LIMIT", 413, "\(name) is \(grouped(byteCount)) bytes, more than \(who)'s limit of \(sizeText(maxBytes)); shrink or recompress it.")
        }
        let accepted = ImageFormat.allCases.filter(limits.formats.contains).map(\.displayName)
        let acceptedText = accepted.count > 1 ? accepted.dropLast().joined(separator: ", ") + " or " + accepted.last! : accepted.first ?? "no"
        guard !bytes.isEmpty else {
            throw rejection("UNSUPPORTED_FILE_TYPES", 415, "\(name) is empty; choose a \(acceptedText) image.")
        }
        guard let format = acceptedFormat(of: bytes), limits.formats.contains(format) else {
            if let what = refusedFormatName(of: bytes) ?? acceptedFormat(of: bytes).map({ "a \($0.displayName)" }) {
                throw rejection("UNSUPPORTED_FILE_TYPES", 415, "\(name) is \(what); \(who) accepts \(acceptedText).")
            }
            throw rejection("UNSUPPORTED_FILE_TYPES", 415, "\(name) is not a \(acceptedText) image; convert it to one of those.")
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
        if let maxSide = limits.maxSide, max(size.width, size.height) > maxSide {
            throw rejection("FILE_RESOLUTION_EXCEEDS_LIMITS", 413, "\(name) is \(dimensions), but \(who) accepts at most \(maxSide) pixels a side; scale it down.")
        }
        if let maxPixels = limits.maxPixels, size.width * size.height > maxPixels {
            throw rejection("FILE_RESOLUTION_EXCEEDS_LIMITS", 413, "\(name) is \(dimensions), but \(who) accepts at most \(grouped(maxPixels)) pixels; scale it down.")
        }
        if min(size.width, size.height) < limits.minSide {
            throw rejection("ERROR_LOW_RESOLUTION", 422, "\(name) is \(dimensions), but \(who) needs more than \(limits.minSide - 1) pixels a side; use a larger image.")
        }
        return ProbedImage(format: format, width: size.width, height: size.height, byteCount: byteCount)
    }

    /// `3 MiB (3,145,728 bytes)` for whole mebibytes, else `N bytes`.
    private static func sizeText(_ bytes: Int) -> String {
        bytes % 1_048_576 == 0 ? "\(bytes / 1_048_576) MiB (\(grouped(bytes)) bytes)" : "\(grouped(bytes)) bytes"
    }

    private static func rejection(_ code: String, _ status: Int, _ message: String) -> APIError {
        APIError(code: code, errorClass: .input, message: message, httpStatus: status)
    }

    /// `4200000` as `4,200,000`, independent of the locale: how messages of this package
    /// (ImageProbe's, fitting's) write large numbers.
    package static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var result = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }
}
