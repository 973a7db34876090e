import AssetStore
import AssetTransport
import Foundation
import HeadExtraction

/// `assets plugin check NAME`: runs a plugin through the protocol the way `assets` will, and
/// says what passed, so that a plugin's author can test theirs without a store or a batch.
///
/// The checks: the `hello` (fields, protocol 1), `init` → `ready`, one extraction of a portrait
/// (every element a PNG of the stated size and kind inside `output_dir`, its box inside the
/// photo), a mask if it offers masks, a photo with no face (`ERROR_NO_FACE_IN_FILE` expected, a
/// warning otherwise), a `cancel` that leaves it working, and `shutdown` → `bye`, exit 0.
public enum PluginConformance {
    /// One check and its outcome.
    public struct Check: Sendable, Hashable {
        public enum Outcome: String, Sendable, Hashable {
            case passed, failed, warning, skipped
        }

        public var name: String
        public var outcome: Outcome
        public var detail: String
    }

    /// Runs every check against the plugin at `executable`.
    ///
    /// - Parameters:
    ///   - name: the backend's name, which the plugin's hello must give.
    ///   - executable: the plugin program.
    ///   - portrait: a photo with one face (JPEG, PNG or BMP).
    ///   - noFace: a photo with none.
    ///   - environment: the plugin's environment.
    ///   - timeout: how long each request may take.
    public static func run(name: String, executable: URL, portrait: Data, noFace: Data, environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Duration = .seconds(60)) async -> [Check] {
        var checks: [Check] = []
        func record(_ check: String, _ outcome: Check.Outcome, _ detail: String) {
            checks.append(Check(name: check, outcome: outcome, detail: detail))
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("assets-plugin-check-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: work) }
        try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let process: PluginProcess
        do {
            process = try PluginProcess(executable: executable, workFolder: work, environment: environment)
        } catch {
            record("start", .failed, "\(executable.path) cannot be started: \(error.localizedDescription)")
            return checks
        }
        defer { process.kill() }

        // hello
        guard let hello = await process.hello(timeout: PluginEngine.helloTimeout) else {
            let line = await process.lastStderrLine(waiting: .milliseconds(300))
            record("hello", .failed, "no hello within 10 s\(line.map { "; its stderr ends with \(PluginEngine.quoted($0))" } ?? "")")
            return checks
        }
        let protocols = (hello["protocols"]?.array ?? []).compactMap(\.int)
        var missing: [String] = []
        for field in ["name", "version"] where hello[field]?.string == nil { missing.append(field) }
        if hello["operations"]?.array == nil { missing.append("operations") }
        if hello["return_forms"]?.array == nil { missing.append("return_forms") }
        if (hello["concurrency"]?.int ?? 0) < 1 { missing.append("concurrency (at least 1)") }
        guard protocols.contains(PluginEngine.protocolVersion) else {
            record("hello", .failed, "it speaks protocol \(protocols.map(String.init).joined(separator: ", ")), not 1")
            process.send(["t": "shutdown"])
            return checks
        }
        if hello["name"]?.string != name {
            missing.append("name \"\(name)\" (it says \(hello["name"]?.string.map { "\"\($0)\"" } ?? "nothing"))")
        }
        record("hello", missing.isEmpty ? .passed : .warning, missing.isEmpty
               ? "protocol 1, \(hello["name"]?.string ?? "?") \(hello["version"]?.string ?? "?"), concurrency \(hello["concurrency"]?.int ?? 1)"
               : "missing or wrong: " + missing.joined(separator: ", "))

        // init → ready
        let clock = ContinuousClock()
        let started = clock.now
        process.send(["t": "init", "protocol": 1])
        guard await process.ready(timeout: PluginEngine.readyTimeout) else {
            record("ready", .failed, "no ready after init")
            return checks
        }
        record("ready", .passed, "ready \(started.duration(to: clock.now).milliseconds) ms after init")

        let forms = Set((hello["return_forms"]?.array ?? []).compactMap(\.string))
        var next = 0
        func extractMessage(_ id: String, _ image: Data, form: String) -> ([String: JSONValue], URL, ProbedImage?) {
            let probe = try? ImageProbe.probe(image, name: "check")
            let input = work.appendingPathComponent("in-\(id).\(probe?.format.rawValue ?? "png")")
            let output = work.appendingPathComponent("out-\(id)", isDirectory: true)
            try? image.write(to: input)
            try? FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            let message = PluginEngine.extractMessage(
                id: id, input: input, sha256: ContentHash.of(image), probe: probe ?? ProbedImage(format: .png, width: 0, height: 0, byteCount: image.count),
                returnForm: form, output: output, timeout: timeout
            )
            return (message, output, probe)
        }
        func request(_ image: Data, form: String) async -> (PluginProcess.Reply, URL, ProbedImage?, Duration) {
            next += 1
            let id = "check-\(next)"
            let (message, output, probe) = extractMessage(id, image, form: form)
            let begin = clock.now
            let reply = await process.request(id, message, timeout: timeout)
            return (reply, output, probe, begin.duration(to: clock.now))
        }

        // One extraction per return form offered.
        for form in ["", "mask"] where form.isEmpty || forms.contains(form) {
            let label = form.isEmpty ? "extract (cutout)" : "extract (mask)"
            let (reply, output, probe, took) = await request(portrait, form: form)
            switch reply {
            case .result(let items):
                // The checks assets itself makes before it stores an answer.
                if let problem = check(items, output: output, probe: probe, form: form, name: name) {
                    record(label, .failed, problem)
                } else {
                    record(label, .passed, "\(items.count) head(s) in \(took.milliseconds) ms, each a valid PNG inside output_dir")
                }
            case .error(let code, let errorClass, let message):
                record(label, .failed, "answered \(code) (\(errorClass)): \(message)")
            default:
                record(label, .failed, describe(reply))
                return checks
            }
        }

        // No face.
        let (reply, _, _, _) = await request(noFace, form: "")
        switch reply {
        case .error(let code, let errorClass, _) where code == "ERROR_NO_FACE_IN_FILE" && errorClass == "content":
            record("no face", .passed, "ERROR_NO_FACE_IN_FILE, class content")
        case .error(let code, let errorClass, _):
            record("no face", .warning, "answered \(code) (\(errorClass)); ERROR_NO_FACE_IN_FILE with class content is expected")
        case .result(let items):
            record("no face", .warning, "found \(items.count) head(s) in a photo with no face")
        default:
            record("no face", .failed, describe(reply))
            return checks
        }

        // Cancel: the request may be answered CANCELLED or not at all; the plugin must go on.
        let (message, _, _) = extractMessage("check-cancel", portrait, form: "")
        process.send(message)
        process.send(["t": "cancel", "id": "check-cancel"])
        try? await Task.sleep(for: .milliseconds(300))
        let (after, _, _, _) = await request(portrait, form: "")
        if case .result = after {
            record("cancel", .passed, "still answers after a cancel")
        } else {
            record("cancel", .failed, "after a cancel: \(describe(after))")
        }

        // Shutdown.
        process.send(["t": "shutdown"])
        let exited = await process.waitForExit(timeout: .seconds(5))
        record("shutdown", exited ? .passed : .failed, exited ? "exited within 5 s" : "still running 5 s after shutdown")
        return checks
    }

    /// What is wrong with a result, by the checks ``PluginEngine`` and ``AssetManager`` make
    /// before storing one, or `nil`.
    private static func check(_ items: [[String: JSONValue]], output: URL, probe: ProbedImage?, form: String, name: String) -> String? {
        guard !items.isEmpty else { return "no elements" }
        guard let probe else { return "the photo could not be probed" }
        do {
            let elements = try items.enumerated().map { position, item throws(APIError) in
                try PluginEngine.element(item, position: position, output: output, engine: name)
            }
            let options = APIOptions(returnForm: form.isEmpty ? nil : ReturnForm(rawValue: form))
            _ = try AssetManager.resultImages(EngineAnswer(elements: elements), probe: probe, options: options, engine: name)
            return nil
        } catch {
            return error.message
        }
    }

    private static func describe(_ reply: PluginProcess.Reply) -> String {
        switch reply {
        case .crashed(let line): "it stopped\(line.map { " (\(PluginEngine.quoted($0)))" } ?? "")"
        case .protocolError(let line): "it wrote \(PluginEngine.quoted(line)), not a protocol message"
        case .timedOut: "no answer in time"
        case .cancelled: "cancelled"
        case .result: "a result"
        case .error(let code, _, _): code
        }
    }
}
