import Foundation

/// Cuts secrets (API keys, secret access keys, tokens) out of text and bytes, in every
/// spelling a server or a proxy may echo them in.
///
/// ```swift
/// let safe = Redaction.redact(#"{"error":"bad key sk\/abc+def=="}"#, secrets: [key])
/// // {"error":"bad key <redacted>"}
/// ```
///
/// Each character of a secret matches itself (ignoring case), its JSON escape (`\/`, `\"`,
/// `\\`, `\n`, … and `\uXXXX` in either case of hex, for any character), and its
/// percent-encoding (`%2F` or `%2f`, byte by byte, and `+` for a space), in any mix: a server
/// that escapes only some characters, or an echo of a form field, is caught too. Secrets
/// shorter than ``minimumLength`` characters are left alone: cutting such a string out of a
/// message would mangle it, and no credential this package handles is that short.
///
/// - Important: Thread-safe; every function is pure.
public enum Redaction {
    /// What a secret is replaced with.
    public static let placeholder = "<redacted>"

    /// Secrets shorter than this many characters are not looked for.
    public static let minimumLength = 8

    /// `text` with every spelling of each secret replaced by ``placeholder``.
    ///
    /// - Parameters:
    ///   - text: a message, a request id, a response body.
    ///   - secrets: the values to cut out; `nil`, empty and short ones are skipped.
    public static func redact(_ text: String, secrets: [String?]) -> String {
        guard let matcher = matcher(for: secrets) else { return text }
        let data = Data(text.utf8)
        let clean = redact(data, matcher: matcher)
        return clean == data ? text : String(decoding: clean, as: UTF8.self)
    }

    /// `data` with every spelling of each secret replaced by ``placeholder``; bytes that are
    /// not UTF-8 (a PNG, say) are searched and kept as they are.
    public static func redact(_ data: Data, secrets: [String?]) -> Data {
        guard let matcher = matcher(for: secrets) else { return data }
        return redact(data, matcher: matcher)
    }

    /// Whether any spelling of any secret occurs in `data`.
    public static func contains(_ data: Data, secrets: [String?]) -> Bool {
        guard let matcher = matcher(for: secrets) else { return false }
        let text = latin1(data)
        return matcher.firstMatch(in: text, range: NSRange(location: 0, length: (text as NSString).length)) != nil
    }

    // MARK: - Matching

    /// The bytes read as ISO Latin-1, one character per byte, so any data (UTF-8 or not) can be
    /// searched, and every match maps back to a byte range.
    private static func latin1(_ data: Data) -> String {
        String(data: data, encoding: .isoLatin1) ?? String(data.map { Character(Unicode.Scalar($0)) })
    }

    private static func redact(_ data: Data, matcher: NSRegularExpression) -> Data {
        let text = latin1(data)
        let matches = matcher.matches(in: text, range: NSRange(location: 0, length: (text as NSString).length))
        guard !matches.isEmpty else { return data }
        var clean = Data()
        var position = 0
        for match in matches {
            // Latin-1 characters are one UTF-16 unit each, so NSRange offsets are byte offsets.
            clean.append(data[data.startIndex + position ..< data.startIndex + match.range.location])
            clean.append(contentsOf: placeholder.utf8)
            position = match.range.location + match.range.length
        }
        clean.append(data[(data.startIndex + position)...])
        return clean
    }

    /// One pattern for all the secrets, longest first, so a secret that holds another is cut
    /// out whole.
    private static func matcher(for secrets: [String?]) -> NSRegularExpression? {
        let usable = Set(secrets.compactMap { $0 }.filter { $0.count >= minimumLength })
            .sorted { $0.utf8.count > $1.utf8.count }
        guard !usable.isEmpty else { return nil }
        let pattern = usable.map { secret in secret.unicodeScalars.map(spellings(of:)).joined() }.joined(separator: "|")
        return try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }

    /// A group matching one character of a secret, as Latin-1 text over the data's bytes.
    private static func spellings(of scalar: Unicode.Scalar) -> String {
        let bytes = Array(String(scalar).utf8)
        // The UTF-8 bytes, each one itself or percent-encoded.
        var forms = [bytes.map { byte in "(?:\(literal(byte))|%\(hex(byte, width: 2)))" }.joined()]
        // The JSON \u escape: one UTF-16 unit, or a surrogate pair.
        forms.append(String(scalar).utf16.map { #"\\u"# + hex(UInt32($0), width: 4) }.joined())
        switch scalar {
        case "\"", "\\", "/": forms.append(#"\\"# + NSRegularExpression.escapedPattern(for: String(scalar)))
        case "\u{08}": forms.append(#"\\b"#)
        case "\u{0C}": forms.append(#"\\f"#)
        case "\n": forms.append(#"\\n"#)
        case "\r": forms.append(#"\\r"#)
        case "\t": forms.append(#"\\t"#)
        case " ": forms.append(#"\+"#)
        default: break
        }
        return "(?:" + forms.joined(separator: "|") + ")"
    }

    /// A pattern matching exactly `byte`, as its Latin-1 character.
    private static func literal(_ byte: UInt8) -> String {
        #"\x{"# + hex(UInt32(byte), width: 2) + "}"
    }

    private static func hex<T: BinaryInteger>(_ value: T, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
