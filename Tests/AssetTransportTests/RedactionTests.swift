import AssetTransport
import Foundation
import Testing

@Suite struct RedactionTests {
    /// A key with the characters JSON and URLs escape.
    static let key = #"Ab/cd+ef=gh"ij\kl mn"#

    @Test func everySpellingOfTheKeyIsCutOutOfText() throws {
        let json = try JSONEncoder().encode(["echo": Self.key])
        let serialized = try JSONSerialization.data(withJSONObject: ["echo": Self.key])
        let unescapedSlashes: Data = try {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            return try encoder.encode(["echo": Self.key])
        }()
        let spellings = [
            Self.key,
            Self.key.uppercased(),
            String(decoding: json, as: UTF8.self),
            String(decoding: serialized, as: UTF8.self),
            String(decoding: unescapedSlashes, as: UTF8.self),
            // Every character as \u00XX, as some servers write non-alphanumerics.
            Self.key.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined(),
            Self.key.unicodeScalars.map { String(format: "\\u%04X", $0.value) }.joined(),
            Self.key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            Self.key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!.lowercased(),
            // Form encoding: a space as "+", the rest percent-encoded.
            Self.key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!.replacingOccurrences(of: "%20", with: "+"),
        ]
        for spelling in spellings {
            let text = "before \(spelling) after"
            let clean = Redaction.redact(text, secrets: [Self.key])
            #expect(!clean.contains(Self.key), "\(spelling)")
            #expect(clean.hasPrefix("before ") && clean.hasSuffix(" after"), "\(spelling)")
            #expect(clean.contains(Redaction.placeholder), "\(spelling)")
            #expect(Redaction.redact(Data(text.utf8), secrets: [Self.key]) == Data(clean.utf8), "\(spelling)")
            #expect(Redaction.contains(Data(text.utf8), secrets: [Self.key]), "\(spelling)")
        }
        // The JSON encoders' output keeps its quotes and key, only the value goes.
        #expect(Redaction.redact(String(decoding: json, as: UTF8.self), secrets: [Self.key]) == #"{"echo":"<redacted>"}"#)
    }

    @Test func bytesAroundAnEchoAreKeptExactly() {
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0xFF, 0x00, 0xC3])
        data.append(contentsOf: Array("sk-0123456789".utf8))
        data.append(contentsOf: [0xE2, 0x82, 0xFE])
        var expected = Data([0x89, 0x50, 0x4E, 0x47, 0xFF, 0x00, 0xC3])
        expected.append(contentsOf: Array(Redaction.placeholder.utf8))
        expected.append(contentsOf: [0xE2, 0x82, 0xFE])
        #expect(Redaction.redact(data, secrets: ["sk-0123456789"]) == expected)
        #expect(Redaction.redact(data.dropFirst(2), secrets: ["sk-0123456789"]) == expected.dropFirst(2))
    }

    @Test func shortEmptyAndMissingSecretsAreLeftAlone() {
        let text = "a short key abc123 and nothing else"
        #expect(Redaction.redact(text, secrets: ["abc123", "", nil]) == text)
        #expect(Redaction.redact(Data(text.utf8), secrets: ["abc123"]) == Data(text.utf8))
        #expect(!Redaction.contains(Data(text.utf8), secrets: ["abc123", nil]))
        #expect(Redaction.redact(text, secrets: []) == text)
    }

    @Test func aSecretHoldingAnotherIsCutOutWhole() {
        let text = "token sk-0123456789-extended here, sk-0123456789 there"
        let clean = Redaction.redact(text, secrets: ["sk-0123456789", "sk-0123456789-extended"])
        #expect(clean == "token <redacted> here, <redacted> there")
    }

    @Test func nonASCIISecretsAreFoundInEveryForm() throws {
        let key = "clé-secrète-✓"
        let json = String(decoding: try JSONSerialization.data(withJSONObject: [key]), as: UTF8.self)
        for spelling in [key, key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, json,
                         key.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()] {
            #expect(!Redaction.redact("x \(spelling) y", secrets: [key]).contains("secr"), "\(spelling)")
        }
    }
}
