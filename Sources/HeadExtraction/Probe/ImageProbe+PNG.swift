extension ImageProbe {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Walks every chunk (length, type, data, CRC) from the signature through `IEND`.
    ///
    /// Each CRC is verified, so a file cut short or damaged anywhere is caught before upload.
    /// Bytes after `IEND` are ignored, as decoders do.
    static func pngDimensions(_ bytes: [UInt8]) throws(StructureDefect) -> (width: Int, height: Int) {
        var index = pngSignature.count
        var size: (width: Int, height: Int)?
        var sawImageData = false
        while true {
            guard let length = bytes.bigEndian32(at: index), index + 8 <= bytes.count else {
                throw StructureDefect("ends before its IEND chunk")
            }
            let typeStart = index + 4
            let dataStart = index + 8
            let type = String(decoding: bytes[typeStart..<dataStart], as: UTF8.self)
            guard length <= 0x7FFF_FFFF, dataStart + length + 4 <= bytes.count,
                  let stored = bytes.bigEndian32(at: dataStart + length)
            else {
                throw StructureDefect("ends inside its \(type) chunk")
            }
            guard UInt32(stored) == CRC32.checksum(bytes, typeStart..<(dataStart + length)) else {
                throw StructureDefect("has a damaged \(type) chunk (CRC mismatch)")
            }
            if size == nil {
                guard type == "IHDR", length == 13,
                      let width = bytes.bigEndian32(at: dataStart),
                      let height = bytes.bigEndian32(at: dataStart + 4)
                else {
                    throw StructureDefect("does not start with an IHDR chunk")
                }
                guard width > 0, height > 0 else {
                    throw StructureDefect("declares a zero width or height")
                }
                size = (width, height)
            }
            switch type {
            case "IDAT":
                sawImageData = true
            case "IEND":
                guard sawImageData, let size else { throw StructureDefect("has no image data (IDAT)") }
                return size
            default:
                break
            }
            index = dataStart + length + 4
        }
    }
}
