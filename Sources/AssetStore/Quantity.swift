import Foundation

/// Parses the sizes and ages people type: `500M`, `2G`, `1048576`; `30d`, `12h`, `90m`.
public enum Quantity {
    /// Bytes from a number with an optional binary suffix (K, M, G, T; an optional trailing
    /// `B` or `iB`), or `nil` if it is not one.
    public static func bytes(_ text: String) -> Int64? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
            digits.removeLast(suffix.count)
            break
        }
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var multiplier: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits.removeLast()
        }
        guard let value = Double(digits), value >= 0, value.isFinite, !digits.hasPrefix("+") else { return nil }
        let bytes = value * Double(multiplier)
        guard bytes < Double(Int64.max) else { return nil }
        return Int64(bytes.rounded(.down))
    }

    /// Seconds from a number with a unit: `s`, `m`, `h`, `d` or `w`, or `nil` if it is not one.
    public static func age(_ text: String) -> TimeInterval? {
        var digits = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let last = digits.last, let unit = units[last] else { return nil }
        digits.removeLast()
        guard let value = Double(digits), value >= 0, value.isFinite, !digits.hasPrefix("+") else { return nil }
        return value * unit
    }
}
