import Foundation
import HeadExtraction

/// Photos `assets plugin check` uses when given none.
enum SamplePhotos {
    /// Grace Hopper's public-domain portrait, bundled with the executable.
    static var portrait: Data {
        Bundle.module.url(forResource: "portrait", withExtension: "jpg").flatMap { try? Data(contentsOf: $0) } ?? Data()
    }

    /// A flat grey 96x96 PNG: nothing in it is a face.
    static func noFace() throws -> Data {
        try PNGCodec.encode(width: 96, height: 96, pixels: [UInt8](repeating: 0x80, count: 96 * 96), format: .gray)
    }
}
