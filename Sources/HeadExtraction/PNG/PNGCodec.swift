import CPNG
import Foundation

/// Encodes and fully decodes PNG images with libpng's simplified API.
///
/// ```swift
/// let png = try PNGCodec.encode(width: 2, height: 1, pixels: [0, 0, 0, 255, 255, 255, 255, 255], format: .rgba)
/// let info = try PNGCodec.decodeInfo(png)   // (width: 2, height: 1, channels: 4)
/// ```
///
/// This is the only file that imports libpng.
/// - Important: Thread-safe: every call uses its own `png_image`.
public enum PNGCodec {
    /// The pixel layouts ``encode(width:height:pixels:format:)`` writes, 8 bits a channel.
    public enum PixelFormat: String, Sendable, Hashable, Codable {
        /// One gray channel: the API's `return_form=mask`.
        case gray
        /// Red, green, blue and alpha: the API's default cutout.
        case rgba

        /// Bytes per pixel.
        public var channels: Int { self == .gray ? 1 : 4 }

        var libpngFormat: png_uint_32 {
            self == .gray ? png_uint_32(ASSETS_PNG_FORMAT_GRAY) : png_uint_32(ASSETS_PNG_FORMAT_RGBA)
        }
    }

    /// A libpng failure, with libpng's own message.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// What libpng or the chunk walk reported.
        public var message: String
        public var description: String { message }
    }

    /// Encodes 8-bit pixels, rows top to bottom with no padding, as a PNG.
    ///
    /// - Throws: ``Failure`` when the sizes do not match or libpng refuses.
    public static func encode(width: Int, height: Int, pixels: [UInt8], format: PixelFormat) throws(Failure) -> Data {
        guard width > 0, height > 0, width <= 0x7FFF_FFFF / 4, height <= 0x7FFF_FFFF,
              pixels.count == width * height * format.channels
        else {
            throw Failure(message: "\(pixels.count) bytes are not \(width)x\(height) \(format.rawValue) pixels")
        }
        var image = newImage()
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = format.libpngFormat
        let stride = png_int_32(width * format.channels)

        // First pass measures, second pass writes.
        var size = 0
        let measured = pixels.withUnsafeBytes { buffer in
            png_image_write_to_memory(&image, nil, &size, 0, buffer.baseAddress, stride, nil)
        }
        guard measured != 0, size > 0 else { throw failure(of: &image, doing: "measure") }
        var output = Data(count: size)
        let written = output.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { buffer in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, buffer.baseAddress, stride, nil)
            }
        }
        guard written != 0 else { throw failure(of: &image, doing: "write") }
        output.count = size
        return output
    }

    /// Decodes every pixel of `data` and checks every chunk through `IEND`, proving it is a whole PNG.
    ///
    /// `channels` is that of the stored image: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    /// (a palette counts as RGB, or RGBA with transparency).
    /// - Throws: ``Failure`` for anything that is not a complete, valid PNG.
    public static func decodeInfo(_ data: Data) throws(Failure) -> (width: Int, height: Int, channels: Int) {
        guard data.count >= 8, data.starts(with: ImageProbe.pngSignature) else {
            throw Failure(message: "the bytes do not start with a PNG signature")
        }
        // libpng's simplified reader stops after the last image data, so a file cut before IEND
        // would pass it; the chunk walk checks every CRC through IEND first.
        do {
            _ = try ImageProbe.pngDimensions(Array(data))
        } catch {
            throw Failure(message: "the PNG \(error.reason)")
        }
        // libpng keeps the memory pointer between begin and finish, so both run in one closure.
        let outcome = data.withUnsafeBytes { buffer -> Result<(width: Int, height: Int, channels: Int), Failure> in
            var image = newImage()
            guard png_image_begin_read_from_memory(&image, buffer.baseAddress, buffer.count) != 0 else {
                return .failure(failure(of: &image, doing: "read the header of"))
            }
            let colorAndAlpha = png_uint_32(ASSETS_PNG_FORMAT_FLAG_COLOR | ASSETS_PNG_FORMAT_FLAG_ALPHA)
            let channels = Int(image.format & colorAndAlpha) + 1
            // Decode to plain 8-bit samples: no colormap buffer, half the memory of 16-bit.
            image.format &= ~png_uint_32(ASSETS_PNG_FORMAT_FLAG_COLORMAP | ASSETS_PNG_FORMAT_FLAG_LINEAR)
            let rowBytes = Int(image.width) * (Int(image.format & colorAndAlpha) + 1)
            guard rowBytes * Int(image.height) <= maxDecodedBytes else {
                png_image_free(&image)
                return .failure(Failure(message: "the image is \(image.width)x\(image.height) pixels, too large to check"))
            }
            var pixels = [UInt8](repeating: 0, count: rowBytes * Int(image.height))
            let finished = pixels.withUnsafeMutableBytes { out in
                png_image_finish_read(&image, nil, out.baseAddress, png_int_32(rowBytes), nil)
            }
            guard finished != 0 else { return .failure(failure(of: &image, doing: "decode")) }
            png_image_free(&image)
            return .success((Int(image.width), Int(image.height), channels))
        }
        return try outcome.get()
    }

    /// A bound on decoding memory, so a hostile header cannot demand gigabytes.
    static let maxDecodedBytes = 256 * 1024 * 1024

    private static func newImage() -> png_image {
        var image = png_image()
        image.version = png_uint_32(ASSETS_PNG_IMAGE_VERSION)
        return image
    }

    private static func failure(of image: inout png_image, doing what: String) -> Failure {
        let text = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        png_image_free(&image)
        return Failure(message: "libpng could not \(what) the image: \(text.isEmpty ? "unknown error" : text)")
    }
}
