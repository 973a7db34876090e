/// What a `Range` header asks of a body of known size.
enum ByteRange: Equatable {
    /// No range, another unit, or several ranges: send the whole body.
    case whole
    /// One satisfiable range, clamped to the body.
    case part(ClosedRange<Int>)
    /// A malformed or unsatisfiable byte range: 416.
    case unsatisfiable

    /// Reads `bytes=a-b`, `bytes=a-` and `bytes=-n` (RFC 9110 §14.1.2).
    static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header else { return .whole }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let specs = trimmed.dropFirst("bytes=".count).split(separator: ",", omittingEmptySubsequences: false)
        // Several ranges would need multipart/byteranges; the whole body is a valid answer.
        guard specs.count == 1 else { return .whole }
        let spec = specs[0].trimmingCharacters(in: .whitespaces)
        guard let dash = spec.firstIndex(of: "-") else { return .unsatisfiable }
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), !(first.isEmpty && last.isEmpty) else {
            return .unsatisfiable
        }
        if first.isEmpty {
            // A suffix: the last n bytes.
            let count = Int(last) ?? Int.max
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - count)...(size - 1))
        }
        guard let start = Int(first), start < size else { return .unsatisfiable }
        if last.isEmpty { return .part(start...(size - 1)) }
        // All digits: only an overflow fails to parse, and that reaches past any body.
        let end = Int(last) ?? Int.max
        guard end >= start else { return .unsatisfiable }
        return .part(start...min(end, size - 1))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
