/// Why an image's structure is incomplete: a clause that completes "it …".
struct StructureDefect: Error, Sendable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Bounds-checked integer reads; `nil` past the end, so parsers treat it as truncation.
extension Array where Element == UInt8 {
    func bigEndian16(at index: Int) -> Int? {
        guard index >= 0, index + 2 <= count else { return nil }
        return Int(self[index]) << 8 | Int(self[index + 1])
    }

    func bigEndian32(at index: Int) -> Int? {
        guard index >= 0, index + 4 <= count else { return nil }
        return (0..<4).reduce(0) { $0 << 8 | Int(self[index + $1]) }
    }

    func littleEndian16(at index: Int) -> Int? {
        guard index >= 0, index + 2 <= count else { return nil }
        return Int(self[index]) | Int(self[index + 1]) << 8
    }

    func littleEndian32(at index: Int) -> Int? {
        guard index >= 0, index + 4 <= count else { return nil }
        return (0..<4).reversed().reduce(0) { $0 << 8 | Int(self[index + $1]) }
    }

    /// Whether the bytes at `index` are `prefix`.
    func matches(_ prefix: [UInt8], at index: Int = 0) -> Bool {
        guard index >= 0, index + prefix.count <= count else { return false }
        return self[index..<(index + prefix.count)].elementsEqual(prefix)
    }

    /// Whether the bytes at `index` spell the ASCII string `text`.
    func matches(_ text: String, at index: Int = 0) -> Bool {
        matches(Array(text.utf8), at: index)
    }
}
