import Foundation

/// An integer the API may send as a number, a float, a numeric string or `null`.
struct LenientInt: Decodable {
    var value: Int?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = nil
        } else if let int = try? container.decode(Int.self) {
            value = int
        } else if let double = try? container.decode(Double.self) {
            value = Self.integer(double)
        } else if let string = try? container.decode(String.self) {
            let trimmed = string.trimmingCharacters(in: .whitespaces)
            value = Int(trimmed) ?? Double(trimmed).flatMap(Self.integer)
        } else {
            value = nil
        }
    }

    /// `Int(exactly:)` after dropping the fraction: `nil` instead of a trap for NaN or 1e300.
    private static func integer(_ double: Double) -> Int? {
        Int(exactly: double.rounded(.towardZero))
    }
}

/// A number the API may send as an integer, a float or a numeric string.
struct LenientDouble: Decodable {
    var value: Double?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let double = try? container.decode(Double.self) {
            value = double
        } else if let string = try? container.decode(String.self) {
            value = Double(string.trimmingCharacters(in: .whitespaces))
        } else {
            value = nil
        }
    }
}

/// A string the API may send as a string or a number.
struct LenientString: Decodable {
    var value: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            value = string
        } else if let int = try? container.decode(Int.self) {
            value = String(int)
        } else {
            value = nil
        }
    }
}

extension KeyedDecodingContainer {
    /// The value for `key`, or `nil` when it is missing, `null` or of an unexpected shape.
    func lenient<T: Decodable>(_ type: T.Type, forKey key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }

    func lenientInt(forKey key: Key) -> Int? { lenient(LenientInt.self, forKey: key)?.value }
    func lenientDouble(forKey key: Key) -> Double? { lenient(LenientDouble.self, forKey: key)?.value }
    func lenientString(forKey key: Key) -> String? { lenient(LenientString.self, forKey: key)?.value }
}
