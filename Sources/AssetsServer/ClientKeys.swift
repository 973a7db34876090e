import Foundation

/// The keys clients may present in `ailabapi-api-key`. They are not the upstream API key.
///
/// ```swift
/// let keys = try ClientKeys.load(file: nil, environment: ProcessInfo.processInfo.environment)
/// keys.accepts("client1")  // true when ASSETS_CLIENT_KEYS=client1,client2
/// ```
///
/// Keys are compared in constant time (per candidate), so response timing does not reveal
/// how much of a key was right. Neither the keys nor a presented key are ever logged.
public struct ClientKeys: Sendable {
    private let keys: [[UInt8]]

    /// The environment variable with comma-separated keys.
    public static let environmentVariable = "ASSETS_CLIENT_KEYS"

    /// Keys given directly; empty strings and surrounding whitespace are dropped.
    public init(_ keys: [String]) {
        self.keys = keys
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .map { Array($0.utf8) }
    }

    /// Whether no key is configured (a server must then refuse to start).
    public var isEmpty: Bool { keys.isEmpty }

    /// The number of configured keys.
    public var count: Int { keys.count }

    /// Whether `candidate` is one of the keys.
    public func accepts(_ candidate: String?) -> Bool {
        guard let candidate, !candidate.isEmpty else { return false }
        let presented = Array(candidate.utf8)
        var matched = false
        for key in keys where Self.constantTimeEqual(key, presented) {
            matched = true
        }
        return matched
    }

    /// Compares every byte of the longer input, whatever differs first.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        let length = max(lhs.count, rhs.count)
        var difference: UInt8 = lhs.count == rhs.count ? 0 : 1
        for index in 0..<length {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }

    /// Keys from `--client-keys-file` (one a line, `#` comments), else `ASSETS_CLIENT_KEYS`.
    ///
    /// - Throws: ``ConfigurationProblem`` when the file cannot be read, or when no key is
    ///   configured at all.
    public static func load(file: String?, environment: [String: String]) throws(ConfigurationProblem) -> ClientKeys {
        let keys: ClientKeys
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigurationProblem("Cannot read the client keys file \(file); check the path and its permissions.")
            }
            keys = parseFile(String(decoding: data, as: UTF8.self))
            guard !keys.isEmpty else {
                throw ConfigurationProblem("The client keys file \(file) holds no key; put one key on each line.")
            }
        } else {
            keys = ClientKeys((environment[environmentVariable] ?? "").split(separator: ",").map(String.init))
        }
        guard !keys.isEmpty else {
            throw ConfigurationProblem("No client key is configured; set ASSETS_CLIENT_KEYS (comma-separated) or pass --client-keys-file FILE.")
        }
        return keys
    }

    /// One key a line; blank lines and lines starting with `#` are skipped.
    public static func parseFile(_ text: String) -> ClientKeys {
        ClientKeys(text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("#") ? nil : trimmed
        })
    }
}
