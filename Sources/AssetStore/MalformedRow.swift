import Foundation
import GRDB

/// A catalog row that cannot be read as what its table holds: a hash of the wrong length, a
/// text where a number belongs, an unknown state, a NULL where a value is required.
///
/// Such a row is never trusted and never crashes a reader: a lookup that meets it throws
/// ``StoreError`` `.malformedRow`, listings skip it and count it, and `verify --repair`
/// writes it to `quarantine/` as JSON and deletes it.
public struct MalformedRow: Sendable, Hashable, Codable {
    /// `extractions`, `elements`, `blobs` or `counters`.
    public var table: String
    /// Which row, for people: an extraction's id, a blob's key, a counter's name.
    public var identifier: String
    /// What is wrong with it, as a phrase (`"its action_key is 31 bytes, not 32"`).
    public var problem: String
    /// Every column of the row, as stored.
    public var values: [String: CatalogValue]

    public init(table: String, identifier: String, problem: String, values: [String: CatalogValue]) {
        self.table = table
        self.identifier = identifier
        self.problem = problem
        self.values = values
    }

    /// A row of `table` with `problem`, its columns copied from `row`.
    init(table: String, row: Row, problem: String) {
        var values: [String: CatalogValue] = [:]
        for (name, value) in row { values[name] = CatalogValue(value) }
        let identifier: String = switch table {
        case "extractions": values["id"]?.text ?? "?"
        case "elements": "\(values["extraction_id"]?.text ?? "?")/\(values["position"]?.text ?? "?")"
        case "blobs": values["key"]?.text ?? "?"
        default: values["name"]?.text ?? "?"
        }
        self.init(table: table, identifier: identifier, problem: problem, values: values)
    }

    /// The SQL condition and arguments that select exactly this row.
    var locator: (condition: String, arguments: StatementArguments) {
        func value(_ column: String) -> DatabaseValue { values[column]?.databaseValue ?? .null }
        switch table {
        case "extractions": return ("id IS ?", [value("id")])
        case "elements": return ("extraction_id IS ? AND position IS ?", [value("extraction_id"), value("position")])
        case "blobs": return ("key IS ?", [value("key")])
        default: return ("name IS ?", [value("name")])
        }
    }
}

/// One SQLite value as stored, for ``MalformedRow``: JSON `null`, a number, a string, or
/// `{"blob_hex": "…"}`.
public enum CatalogValue: Sendable, Hashable, Codable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let int): self = .integer(int)
        case .double(let double): self = .real(double)
        case .string(let string): self = .text(string)
        case .blob(let data): self = .blob(data)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let int): int.databaseValue
        case .real(let double): double.databaseValue
        case .text(let string): string.databaseValue
        case .blob(let data): data.databaseValue
        }
    }

    /// The value for a message.
    var text: String {
        switch self {
        case .null: "NULL"
        case .integer(let int): String(int)
        case .real(let double): String(double)
        case .text(let string): string
        case .blob(let data): data.count == 32 ? ContentHash(bytes: data)!.hex : "x'\(data.map { String(format: "%02x", $0) }.joined())'"
        }
    }

    private enum BlobKey: String, CodingKey { case blobHex = "blob_hex" }

    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: BlobKey.self), let hex = try? keyed.decode(String.self, forKey: .blobHex) {
            var bytes = Data()
            var index = hex.startIndex
            while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex),
                  let byte = UInt8(hex[index..<next], radix: 16) {
                bytes.append(byte)
                index = next
            }
            self = .blob(bytes)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let int = try? container.decode(Int64.self) { self = .integer(int) }
        else if let double = try? container.decode(Double.self) { self = .real(double) }
        else { self = .text(try container.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .blob(let data):
            var container = encoder.container(keyedBy: BlobKey.self)
            try container.encode(data.map { String(format: "%02x", $0) }.joined(), forKey: .blobHex)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .integer(let int):
            var container = encoder.singleValueContainer()
            try container.encode(int)
        case .real(let double):
            var container = encoder.singleValueContainer()
            try container.encode(double)
        case .text(let string):
            var container = encoder.singleValueContainer()
            try container.encode(string)
        }
    }
}

/// Why a column of a row could not be read: which column, and what it holds instead.
struct RowDecodingError: Error {
    var problem: String
}

/// Strict, non-trapping column reads: GRDB's typed subscripts stop the process on a value of
/// the wrong type, and one bad row must not take a server down.
extension Row {
    func int64(_ index: Int, _ column: String) throws(RowDecodingError) -> Int64 {
        let value: DatabaseValue = self[index]
        guard case .int64(let int) = value.storage else { throw RowDecodingError(problem: "its \(column) is \(Self.describe(value)), not an integer") }
        return int
    }

    func int(_ index: Int, _ column: String) throws(RowDecodingError) -> Int {
        let value = try int64(index, column)
        guard let int = Int(exactly: value), int >= Int(Int32.min), int <= Int(Int32.max) else {
            throw RowDecodingError(problem: "its \(column) is \(value), out of range")
        }
        return int
    }

    func text(_ index: Int, _ column: String) throws(RowDecodingError) -> String {
        guard let text = try optionalText(index, column) else { throw RowDecodingError(problem: "its \(column) is NULL") }
        return text
    }

    func optionalText(_ index: Int, _ column: String) throws(RowDecodingError) -> String? {
        let value: DatabaseValue = self[index]
        switch value.storage {
        case .null: return nil
        case .string(let string): return string
        default: throw RowDecodingError(problem: "its \(column) is \(Self.describe(value)), not text")
        }
    }

    func hash(_ index: Int, _ column: String) throws(RowDecodingError) -> ContentHash {
        guard let hash = try optionalHash(index, column) else { throw RowDecodingError(problem: "its \(column) is NULL") }
        return hash
    }

    func optionalHash(_ index: Int, _ column: String) throws(RowDecodingError) -> ContentHash? {
        let value: DatabaseValue = self[index]
        switch value.storage {
        case .null: return nil
        case .blob(let data):
            guard let hash = ContentHash(bytes: data) else { throw RowDecodingError(problem: "its \(column) is \(data.count) bytes, not 32") }
            return hash
        default: throw RowDecodingError(problem: "its \(column) is \(Self.describe(value)), not a 32-byte hash")
        }
    }

    private static func describe(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: "NULL"
        case .int64: "an integer"
        case .double: "a real number"
        case .string: "text"
        case .blob: "a blob"
        }
    }
}
