extension ImageProbe {
    /// Start-of-frame markers that carry the image size: SOF0-3, 5-7, 9-11 and 13-15.
    /// C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
    private static let frameMarkers: Set<UInt8> = [
        0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF,
    ]

    /// Walks the marker segments from SOI to EOI, skipping each scan's entropy-coded data.
    ///
    /// A file is complete when the walk reaches EOI after at least one scan. Bytes after
    /// that EOI (padding, or a second image as in MPF files) are allowed, as decoders allow them.
    static func jpegDimensions(_ bytes: [UInt8]) throws(StructureDefect) -> (width: Int, height: Int) {
        let end = bytes.count
        var index = 2
        var size: (width: Int, height: Int)?
        var sawScan = false
        while true {
            guard index < end else { throw StructureDefect("ends before its end-of-image marker") }
            guard bytes[index] == 0xFF else { throw StructureDefect("has a damaged segment at byte \(index)") }
            while index < end, bytes[index] == 0xFF { index += 1 }
            guard index < end else { throw StructureDefect("ends before its end-of-image marker") }
            let marker = bytes[index]
            index += 1
            switch marker {
            case 0xD9:
                guard sawScan, let size else { throw StructureDefect("ends before any image data") }
                return size
            case 0x01, 0xD0...0xD7:
                continue
            case 0x00, 0xD8:
                throw StructureDefect("has a damaged segment at byte \(index - 1)")
            default:
                break
            }
            guard let length = bytes.bigEndian16(at: index), length >= 2 else {
                throw StructureDefect("ends before its end-of-image marker")
            }
            guard index + length <= end else { throw StructureDefect("ends inside a segment") }
            if frameMarkers.contains(marker), size == nil {
                guard length >= 8, let height = bytes.bigEndian16(at: index + 3),
                      let width = bytes.bigEndian16(at: index + 5)
                else { throw StructureDefect("has a damaged frame header") }
                guard width > 0, height > 0 else {
                    throw StructureDefect("declares a zero width or height")
                }
                size = (width, height)
            }
            index += length
            if marker == 0xDA {
                guard size != nil else { throw StructureDefect("has a scan before its frame header") }
                index = try endOfEntropyData(bytes, from: index)
                sawScan = true
            }
        }
    }

    /// The index of the marker that ends the entropy-coded data starting at `start`.
    ///
    /// Inside a scan, `FF 00` is a stuffed byte and `FF D0`-`FF D7` are restart markers;
    /// any other marker ends the scan.
    private static func endOfEntropyData(_ bytes: [UInt8], from start: Int) throws(StructureDefect) -> Int {
        var index = start
        while let found = bytes[index...].firstIndex(of: 0xFF) {
            var next = found + 1
            while next < bytes.count, bytes[next] == 0xFF { next += 1 }
            guard next < bytes.count else { break }
            switch bytes[next] {
            case 0x00, 0xD0...0xD7:
                index = next + 1
            default:
                return next - 1
            }
        }
        throw StructureDefect("ends inside its image data")
    }
}
