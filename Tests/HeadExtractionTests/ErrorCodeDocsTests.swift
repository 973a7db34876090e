import Foundation
import HeadExtraction
import Testing
import TestSupport

/// `Docs/ErrorCodes.md` lists every error code with its class and HTTP status, and stays true.
@Suite struct ErrorCodeDocsTests {
    /// The page, written from the vendor's table and this project's own codes.
    static func page() -> String {
        var lines = [
            "# Error codes",
            "",
            "Every code an extraction can fail with: `class` says what to do (retry `transient`, top up",
            "`credits`, fix the key for `auth`, fix the photo for `input`, never retry `content`, which is",
            "cached; `internal` is the operator's), and the status is what `assets serve` answers with.",
            "Written from `ErrorCodeTable` by `ErrorCodeDocsTests` (`ASSETS_WRITE_DOCS=1 swift test --filter ErrorCodeDocs`).",
            "",
            "## The project's own",
            "",
            "| Code | Class | HTTP status | Meaning |",
            "|---|---|---|---|",
        ]
        for own in ErrorCodeTable.own.sorted(by: { $0.code < $1.code }) {
            lines.append("| `\(own.code)` | \(own.errorClass.rawValue) | \(own.status.map(String.init) ?? "– (command line only)") | \(own.meaning) |")
        }
        lines += ["", "## The API's (AILabTools)", "", "| Code | Class | HTTP status | Meaning |", "|---|---|---|---|"]
        for info in ErrorCodeTable.all.sorted(by: { $0.code < $1.code }) {
            let errorClass = ErrorClassifier.classify(code: info.code, httpStatus: info.status)
            let meaning = info.description.replacingOccurrences(of: "|", with: "/")
            lines.append("| `\(info.code)` | \(errorClass.rawValue) | \(info.status) | \(meaning) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func thePageListsEveryCodeAsTheCodeClassifiesIt() throws {
        let url = Repository.root.appendingPathComponent("Docs/ErrorCodes.md")
        let expected = Self.page()
        if ProcessInfo.processInfo.environment["ASSETS_WRITE_DOCS"] == "1" {
            try Data(expected.utf8).write(to: url)
        }
        let committed = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        #expect(committed == expected, "Docs/ErrorCodes.md is out of date: run ASSETS_WRITE_DOCS=1 swift test --filter ErrorCodeDocs")
    }

    /// The README carries the project's own codes as the page does.
    @Test func theREADMEHasTheOwnCodesTable() throws {
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        let page = Self.page()
        let own = page[page.range(of: "| Code | Class")!.lowerBound..<page.range(of: "\n## The API's")!.lowerBound]
        #expect(readme.contains(own), "copy the own-codes table of Docs/ErrorCodes.md into the README")
    }

    /// Every code the sources throw is in the vendor's table or in ``ErrorCodeTable/own``.
    @Test func everyCodeTheSourcesThrowIsListed() throws {
        let known = Set(ErrorCodeTable.all.map(\.code)).union(ErrorCodeTable.own.map(\.code))
        let pattern = /(?:code: |code = |Code = |rawValue: |failure\(|input\(|Code: String = )"([A-Z][A-Z0-9_]{3,})"/
        var unknown: [String: String] = [:]
        let sources = Repository.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" && !file.path.contains("/Mock/") && !file.lastPathComponent.contains("Generated") {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: pattern) where !known.contains(String(match.1)) {
                unknown[String(match.1)] = file.lastPathComponent
            }
        }
        #expect(unknown.isEmpty, "codes thrown but not in ErrorCodeTable.own: \(unknown)")
        #expect(files.count > 50)
    }
}
