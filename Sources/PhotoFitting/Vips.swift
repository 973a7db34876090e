import CVips
import Foundation

/// The one file that talks to libvips: images as reference-counted Swift objects, every
/// operation through a fixed-argument wrapper of `shim.h`, every failure a ``Vips/Failure``.
///
/// - Important: an image loaded from a buffer reads that buffer lazily, so it must not outlive
///   it; callers load and finish inside one `withUnsafeBytes`.
enum Vips {
    /// A libvips call that failed, and libvips' own words for why (kept out of user messages).
    struct Failure: Error, Sendable {
        var operation: String
        var detail: String
    }

    /// libvips is opened (`shim.h`: not linked, so that a start that needs no fitting does not
    /// load it) and started once per process, on first use, from whichever thread gets there
    /// first; `nil` on success, else why not.
    private static let startFailure: Failure? = {
        guard assets_vips_open() != 0 else {
            return Failure(operation: "dlopen", detail: assets_vips_open_error().map { String(cString: $0) } ?? "libvips cannot be opened")
        }
        guard assets_vips_init("assets") == 0 else { return Failure(operation: "vips_init", detail: takeError()) }
        assets_vips_configure()
        return nil
    }()

    static func start() throws(Failure) {
        if let startFailure { throw startFailure }
    }

    /// Whether libvips could be opened on this machine.
    static var isAvailable: Bool { startFailure?.operation != "dlopen" }

    /// `8.14`: the library's major and minor release, as loaded at run time (`unavailable`
    /// where it cannot be opened).
    static var version: String {
        guard assets_vips_open() != 0 else { return "unavailable" }
        return "\(assets_vips_major()).\(assets_vips_minor())"
    }

    private static func takeError() -> String {
        guard assets_vips_open() != 0, let text = assets_vips_error_take() else { return "" }
        defer { assets_vips_free(text); assets_vips_error_clear() }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func check(_ status: Int32, _ out: UnsafeMutablePointer<VipsImage>?, _ operation: String) throws(Failure) -> Image {
        guard status == 0, let out else { throw Failure(operation: operation, detail: takeError()) }
        return Image(out)
    }

    /// Runs `body` on the bytes of `data`; an image loaded from them must not escape `body`.
    static func reading<T>(_ data: Data, _ body: (UnsafeRawBufferPointer) throws(Failure) -> T) throws(Failure) -> T {
        let result: Result<T, Failure> = data.withUnsafeBytes { buffer in
            Result { () throws(Failure) in try body(buffer) }
        }
        return try result.get()
    }

    /// Loads `buffer` with the loader for `format` only, never one libvips picks by itself.
    static func load(_ buffer: UnsafeRawBufferPointer, as format: PhotoFormat, sequential: Bool) throws(Failure) -> Image {
        try start()
        guard let base = buffer.baseAddress, !buffer.isEmpty else { throw Failure(operation: "load", detail: "empty buffer") }
        var out: UnsafeMutablePointer<VipsImage>?
        let flag: Int32 = sequential ? 1 : 0
        let status: Int32 = switch format {
        case .jpeg: assets_vips_jpegload(base, buffer.count, &out, flag)
        case .png: assets_vips_pngload(base, buffer.count, &out, flag)
        case .bmp: assets_vips_magickload(base, buffer.count, &out, flag)
        case .webp: assets_vips_webpload(base, buffer.count, &out, flag)
        case .heif, .avif: assets_vips_heifload(base, buffer.count, &out, flag)
        case .tiff: assets_vips_tiffload(base, buffer.count, &out, flag)
        case .gif: assets_vips_gifload(base, buffer.count, &out, flag)
        }
        return try check(status, out, "\(format.rawValue)load")
    }

    /// A JPEG decoded straight to `width` x `height` upright pixels, shrinking while it decodes.
    static func thumbnailJPEG(_ buffer: UnsafeRawBufferPointer, width: Int, height: Int) throws(Failure) -> Image {
        try start()
        guard let base = buffer.baseAddress, !buffer.isEmpty else { throw Failure(operation: "thumbnail", detail: "empty buffer") }
        var out: UnsafeMutablePointer<VipsImage>?
        return try check(assets_vips_thumbnail_jpeg(base, buffer.count, &out, Int32(width), Int32(height)), out, "thumbnail_buffer")
    }

    /// 8-bit pixels, band-interleaved, copied into a new image (for tests and tools).
    static func image(pixels: [UInt8], width: Int, height: Int, bands: Int) throws(Failure) -> Image {
        try start()
        let pointer = pixels.withUnsafeBytes { assets_vips_from_pixels($0.baseAddress, $0.count, Int32(width), Int32(height), Int32(bands)) }
        return try check(pointer == nil ? -1 : 0, pointer, "new_from_memory")
    }

    /// One libvips image; unreferenced when the last Swift reference goes.
    final class Image {
        let pointer: UnsafeMutablePointer<VipsImage>

        init(_ pointer: UnsafeMutablePointer<VipsImage>) { self.pointer = pointer }
        deinit { assets_vips_unref(pointer) }

        var width: Int { Int(assets_vips_width(pointer)) }
        var height: Int { Int(assets_vips_height(pointer)) }
        var bands: Int { Int(assets_vips_bands(pointer)) }
        var pages: Int { Int(assets_vips_pages(pointer)) }
        var hasAlpha: Bool { assets_vips_has_alpha(pointer) != 0 }
        var isUChar: Bool { assets_vips_is_uchar(pointer) != 0 }
        var hasICCProfile: Bool { assets_vips_has_icc(pointer) != 0 }
        /// EXIF orientation, 1...8; 1 when absent or out of range.
        var orientation: Int {
            let value = Int(assets_vips_orientation(pointer))
            return (1...8).contains(value) ? value : 1
        }

        func setOrientation(_ value: Int) { assets_vips_set_orientation(pointer, Int32(value)) }

        private typealias Unary = (UnsafeMutablePointer<VipsImage>?, UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>?) -> Int32

        private func apply(_ operation: String, _ body: Unary) throws(Failure) -> Image {
            var out: UnsafeMutablePointer<VipsImage>?
            let status = body(pointer, &out)
            return try Vips.check(status, out, operation)
        }

        func thumbnail(width: Int, height: Int) throws(Failure) -> Image {
            try apply("thumbnail_image") { assets_vips_thumbnail_image($0, $1, Int32(width), Int32(height)) }
        }
        func autorotated() throws(Failure) -> Image { try apply("autorot") { assets_vips_autorot($0, $1) } }
        /// Colour to sRGB: through the embedded ICC profile when there is one, else by formula.
        func sRGB() throws(Failure) -> Image {
            if hasICCProfile, let converted = try? apply("icc_transform", { assets_vips_icc_to_srgb($0, $1) }) {
                return try converted.apply("colourspace") { assets_vips_colourspace_srgb($0, $1) }
            }
            return try apply("colourspace") { assets_vips_colourspace_srgb($0, $1) }
        }
        func greyscale() throws(Failure) -> Image { try apply("colourspace") { assets_vips_colourspace_bw($0, $1) } }
        func flattenedOnWhite() throws(Failure) -> Image { try apply("flatten") { assets_vips_flatten_white($0, $1) } }
        func uchar() throws(Failure) -> Image { try apply("cast") { assets_vips_cast_uchar($0, $1) } }
        func extractArea(x: Int, y: Int, width: Int, height: Int) throws(Failure) -> Image {
            try apply("extract_area") { assets_vips_extract_area($0, $1, Int32(x), Int32(y), Int32(width), Int32(height)) }
        }
        func bands(_ first: Int, count: Int) throws(Failure) -> Image {
            try apply("extract_band") { assets_vips_extract_bands($0, $1, Int32(first), Int32(count)) }
        }
        func joined(with other: Image) throws(Failure) -> Image {
            try apply("bandjoin") { assets_vips_bandjoin($0, other.pointer, $1) }
        }
        func multiplied(by other: Image) throws(Failure) -> Image {
            try apply("multiply") { assets_vips_multiply($0, other.pointer, $1) }
        }
        func linear(_ a: Double, _ b: Double) throws(Failure) -> Image {
            try apply("linear") { assets_vips_linear($0, $1, a, b) }
        }
        func resizedLanczos(_ hscale: Double, _ vscale: Double) throws(Failure) -> Image {
            try apply("resize") { assets_vips_resize_lanczos($0, $1, hscale, vscale) }
        }
        func resizedLinear(_ hscale: Double, _ vscale: Double) throws(Failure) -> Image {
            try apply("resize") { assets_vips_resize_linear($0, $1, hscale, vscale) }
        }
        /// Exactly `width` x `height`: cropped, or its last row and column repeated.
        func sized(width: Int, height: Int) throws(Failure) -> Image {
            if self.width == width, self.height == height { return self }
            var image = self
            if image.width > width || image.height > height {
                image = try image.extractArea(x: 0, y: 0, width: min(width, image.width), height: min(height, image.height))
            }
            if image.width < width || image.height < height {
                image = try image.apply("embed") { assets_vips_embed_copy($0, $1, Int32(width), Int32(height)) }
            }
            return image
        }
        /// Computed now, into memory: later reads cost nothing and need no source buffer.
        func inMemory() throws(Failure) -> Image {
            guard let copy = assets_vips_copy_memory(pointer) else { throw Failure(operation: "copy_memory", detail: takeError()) }
            return Image(copy)
        }

        private typealias Saver = (UnsafeMutablePointer<VipsImage>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int>?) -> Int32

        private func save(_ operation: String, _ body: Saver) throws(Failure) -> Data {
            var buffer: UnsafeMutableRawPointer?
            var length = 0
            guard body(pointer, &buffer, &length) == 0, let buffer else { throw Failure(operation: operation, detail: takeError()) }
            defer { assets_vips_free(buffer) }
            return Data(bytes: buffer, count: length)
        }

        func jpeg(quality: Int) throws(Failure) -> Data { try save("jpegsave") { assets_vips_jpegsave($0, $1, $2, Int32(quality)) } }
        func png() throws(Failure) -> Data { try save("pngsave") { assets_vips_pngsave($0, $1, $2) } }

        /// Encodes as `format` keeping metadata (EXIF orientation): for tests and tools.
        func encoded(as format: PhotoFormat) throws(Failure) -> Data {
            switch format {
            case .jpeg: try save("jpegsave") { assets_vips_jpegsave_keep($0, $1, $2, 90) }
            case .png: try png()
            case .webp: try save("webpsave") { assets_vips_webpsave($0, $1, $2) }
            case .heif: try save("heifsave") { assets_vips_heifsave($0, $1, $2, 0) }
            case .avif: try save("heifsave") { assets_vips_heifsave($0, $1, $2, 1) }
            case .tiff: try save("tiffsave") { assets_vips_tiffsave($0, $1, $2) }
            case .gif: try save("gifsave") { assets_vips_gifsave($0, $1, $2) }
            case .bmp: throw Failure(operation: "bmpsave", detail: "libvips writes no BMP")
            }
        }

        /// The pixels, band-interleaved, 8 bits a sample.
        func pixels() throws(Failure) -> [UInt8] {
            var size = 0
            guard let memory = assets_vips_write_to_memory(pointer, &size) else { throw Failure(operation: "write_to_memory", detail: takeError()) }
            defer { assets_vips_free(memory) }
            return [UInt8](UnsafeRawBufferPointer(start: memory, count: size))
        }
    }
}
