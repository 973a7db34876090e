import Foundation

/// One result image of ``MockService``, named so that the name alone regenerates it.
///
/// The name is `<input hash prefix>-<index>-<width>x<height>-<cutout|mask>.png`, so a restarted
/// mock server still serves URLs it handed out before.
struct MockResult: Sendable, Hashable {
    /// The first 16 hex digits of the input's SHA-256.
    var inputHashPrefix: String
    var index: Int
    var width: Int
    var height: Int
    var isMask: Bool

    /// The largest side a name may ask for, so a crafted URL cannot demand a huge image.
    static let maxSide = 2000

    var name: String {
        "\(inputHashPrefix)-\(index)-\(width)x\(height)-\(isMask ? "mask" : "cutout").png"
    }

    init(inputHashPrefix: String, index: Int, width: Int, height: Int, isMask: Bool) {
        self.inputHashPrefix = inputHashPrefix
        self.index = index
        self.width = width
        self.height = height
        self.isMask = isMask
    }

    /// Parses a name made by ``name``; `nil` for anything else.
    init?(name: String) {
        guard name.hasSuffix(".png") else { return nil }
        let parts = name.dropLast(4).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].count == 16, parts[0].allSatisfy(\.isHexDigit),
              let index = Int(parts[1]), index >= 0
        else { return nil }
        let size = parts[2].split(separator: "x")
        guard size.count == 2, let width = Int(size[0]), let height = Int(size[1]),
              (1...Self.maxSide).contains(width), (1...Self.maxSide).contains(height),
              parts[3] == "mask" || parts[3] == "cutout"
        else { return nil }
        self.init(inputHashPrefix: String(parts[0]), index: index, width: width, height: height, isMask: parts[3] == "mask")
    }

    /// The PNG: an ellipse filling the box, striped in the cutout, white in the mask; outside
    /// it is transparent (cutout) or black (mask).
    func png() -> Data {
        let format: PNGCodec.PixelFormat = isMask ? .gray : .rgba
        var pixels = [UInt8](repeating: 0, count: width * height * format.channels)
        let centerX = Double(width) / 2, centerY = Double(height) / 2
        pixels.withUnsafeMutableBufferPointer { buffer in
            for y in 0..<height {
                let dy = (Double(y) + 0.5 - centerY) / centerY
                let stripe: (UInt8, UInt8, UInt8) = (y / 8) % 2 == 0 ? (224, 172, 105) : (141, 85, 36)
                for x in 0..<width {
                    let dx = (Double(x) + 0.5 - centerX) / centerX
                    guard dx * dx + dy * dy <= 1 else { continue }
                    let offset = (y * width + x) * format.channels
                    if isMask {
                        buffer[offset] = 255
                    } else {
                        buffer[offset] = stripe.0
                        buffer[offset + 1] = stripe.1
                        buffer[offset + 2] = stripe.2
                        buffer[offset + 3] = 255
                    }
                }
            }
        }
        // The sizes always match and are bounded by maxSide, so libpng cannot refuse them.
        return (try? PNGCodec.encode(width: width, height: height, pixels: pixels, format: format)) ?? Data()
    }
}
