import Assets
import Foundation
import HeadExtraction

/// What `extract` prints: JSON Lines or written paths on stdout; progress, failures and the
/// summary on stderr.
struct ExtractReport {
    let total: Int
    let json: Bool
    let quiet: Bool
    let showsProgress: Bool
    private(set) var done = 0
    private(set) var hits = 0
    private(set) var misses = 0
    private(set) var failed = 0

    init(total: Int, json: Bool, quiet: Bool) {
        self.total = total
        self.json = json
        self.quiet = quiet
        showsProgress = !json && !quiet && Terminal.stderrIsTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && total > 0
    }

    mutating func record(_ input: String, _ outcome: Result<(Extraction, [URL]), APIError>) {
        clearProgress()
        switch outcome {
        case .success(let (extraction, paths)):
            done += 1
            if extraction.cache == .hit { hits += 1 } else { misses += 1 }
            if json {
                Terminal.out(Terminal.json(ResultLine(input: input, extraction: extraction, paths: paths)))
            } else {
                for path in paths { Terminal.out(path.path) }
            }
        case .failure(let error):
            let error = FlagAdvice.advised(error)
            failed += 1
            if json {
                Terminal.out(Terminal.json(ErrorLine(input: input, error: error)))
            } else {
                Terminal.flush()
                Terminal.err("failed: \(input): \(error.message) [\(error.code)\(error.requestID.map { ", request \($0)" } ?? "")]")
            }
        }
        drawProgress()
    }

    func finish(activity: AssetManager.Activity) {
        clearProgress()
        guard !json, !quiet else { return }
        Terminal.flush()
        let calls = activity.upstreamCalls
        let saved = activity.creditsSaved
        Terminal.err("\(done) done, \(hits) hit\(hits == 1 ? "" : "s"), \(misses) miss\(misses == 1 ? "" : "es"), \(failed) failed; \(calls) API call\(calls == 1 ? "" : "s"), \(saved) credit\(saved == 1 ? "" : "s") saved")
    }

    private func drawProgress() {
        guard showsProgress else { return }
        let finished = done + failed
        let width = 30
        let filled = total == 0 ? width : width * finished / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(finished)/\(total)".utf8))
    }

    private func clearProgress() {
        guard showsProgress else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

/// One successful input, as `extract --json` prints it.
struct ResultLine: Encodable {
    var input: String
    var sha256: String
    var cache: String
    var requestID: String?
    var elements: [Element]
    /// What was sent, when the photo was fitted to the backend's limits.
    var fitted: Fitted?

    struct Fitted: Encodable {
        var width: Int
        var height: Int
        var sha256: String
    }

    struct Element: Encodable {
        var path: String
        var sha256: String
        var width: Int
        var height: Int
        var x: Int
        var y: Int
    }

    init(input: String, extraction: Extraction, paths: [URL]) {
        self.input = input
        sha256 = extraction.inputSHA256.hex
        cache = extraction.cache.rawValue
        requestID = extraction.requestID
        elements = zip(extraction.elements, paths).map { element, path in
            Element(path: path.path, sha256: element.sha256.hex, width: element.width, height: element.height, x: element.x, y: element.y)
        }
        fitted = extraction.fitted.map { Fitted(width: $0.width, height: $0.height, sha256: $0.sha256.hex) }
    }

    enum CodingKeys: String, CodingKey {
        case input, sha256, cache, elements, fitted
        case requestID = "request_id"
    }
}

/// One failed input, as `extract --json` prints it.
struct ErrorLine: Encodable {
    var input: String
    var error: Body

    struct Body: Encodable {
        var code: String
        var `class`: String
        var message: String
        var requestID: String?

        enum CodingKeys: String, CodingKey {
            case code, `class`, message
            case requestID = "request_id"
        }
    }

    init(input: String, error: APIError) {
        self.input = input
        self.error = Body(code: error.code, class: error.errorClass.rawValue, message: error.message, requestID: error.requestID)
    }
}
