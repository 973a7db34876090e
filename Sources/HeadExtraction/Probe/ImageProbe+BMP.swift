extension ImageProbe {
    /// DIB header sizes: OS/2 core (12), INFO (40), the v2/v3 extensions (52, 56),
    /// OS/2 v2 (64), v4 (108) and v5 (124).
    private static let dibHeaderSizes: Set<Int> = [12, 40, 52, 56, 64, 108, 124]

    /// Reads the file and DIB headers and checks the file holds everything they declare.
    static func bmpDimensions(_ bytes: [UInt8]) throws(StructureDefect) -> (width: Int, height: Int) {
        guard let declaredSize = bytes.littleEndian32(at: 2),
              let pixelOffset = bytes.littleEndian32(at: 10),
              let headerSize = bytes.littleEndian32(at: 14)
        else { throw StructureDefect("ends inside its header") }
        guard dibHeaderSizes.contains(headerSize) else { throw StructureDefect("has an unknown header") }
        guard bytes.count >= 14 + headerSize else { throw StructureDefect("ends inside its header") }

        var width: Int
        var height: Int
        let bitsPerPixel: Int
        let compression: Int
        if headerSize == 12 {
            width = bytes.littleEndian16(at: 18) ?? 0
            height = bytes.littleEndian16(at: 20) ?? 0
            bitsPerPixel = bytes.littleEndian16(at: 24) ?? 0
            compression = 0
        } else {
            width = Int(Int32(truncatingIfNeeded: bytes.littleEndian32(at: 18) ?? 0))
            // Negative means the rows are stored top-down.
            height = abs(Int(Int32(truncatingIfNeeded: bytes.littleEndian32(at: 22) ?? 0)))
            bitsPerPixel = bytes.littleEndian16(at: 28) ?? 0
            compression = bytes.littleEndian32(at: 30) ?? 0
        }
        guard width > 0, height > 0 else { throw StructureDefect("declares a zero or negative width or height") }

        // Some writers leave bfSize at 0; only a larger declared size proves truncation.
        guard bytes.count >= declaredSize else {
            throw StructureDefect("is \(bytes.count) bytes but its header declares \(declaredSize)")
        }
        guard pixelOffset >= 14 + headerSize, pixelOffset < bytes.count else {
            throw StructureDefect("has its pixel data offset outside the file")
        }
        // Uncompressed rows are padded to 4 bytes; compressed sizes cannot be predicted.
        let uncompressed = [0, 3, 6].contains(compression) && [1, 2, 4, 8, 16, 24, 32].contains(bitsPerPixel)
        if uncompressed {
            let rowBytes = (bitsPerPixel * width + 31) / 32 * 4
            let (pixelBytes, overflow) = rowBytes.multipliedReportingOverflow(by: height)
            // Subtract rather than add: a hostile size just under Int.max would overflow the sum.
            guard !overflow, pixelBytes <= bytes.count - pixelOffset else {
                throw StructureDefect("ends inside its pixel data")
            }
        }
        return (width, height)
    }
}
