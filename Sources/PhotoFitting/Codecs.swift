import Foundation

/// Whether this machine's libvips (its libheif, really) decodes HEIC and AVIF: libheif's codecs
/// are plugins a system may lack, and a missing one should read as "unsupported", not "damaged".
enum Codecs {
    private static let heif = roundTrips(.heif)
    private static let avif = roundTrips(.avif)

    static func canDecode(_ format: PhotoFormat) -> Bool {
        switch format {
        case .heif: heif
        case .avif: avif
        default: true
        }
    }

    /// Encodes a small grey square and decodes it again; asked once per format, when first needed.
    private static func roundTrips(_ format: PhotoFormat) -> Bool {
        do throws(Vips.Failure) {
            let square = try Vips.image(pixels: [UInt8](repeating: 128, count: 16 * 16 * 3), width: 16, height: 16, bands: 3)
            let encoded = try square.encoded(as: format)
            return try Vips.reading(encoded) { buffer throws(Vips.Failure) in
                try Vips.load(buffer, as: format, sequential: false).pixels().count == 16 * 16 * 3
            }
        } catch {
            return false
        }
    }
}
