import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Synchronization

/// An external backend plugin as an ``ExtractionEngine``: a program speaking protocol v1 (JSON
/// Lines over its stdin and stdout; see `Docs/Plugins.md`).
///
/// ```swift
/// let engine = try await PluginEngine.start(name: "local", executable: url)
/// let manager = AssetManager(store: store, engine: engine)
/// ...
/// await manager.shutdown()   // tells the plugin to stop
/// ```
///
/// One process serves every request, never more at once than the `concurrency` its `hello`
/// declared; it is started by ``start(name:executable:environment:retryPolicy:)``, which reads
/// its `hello` (its identity and limits), and is told to load its models (`init`, then `ready`)
/// on the first miss, so a run of hits never waits for them. A process that crashes, hangs past
/// a request's deadline (then 2 s more) or breaks the protocol is replaced for the next request,
/// with a growing pause after repeated crashes. Transient failures are retried like the API's.
public final class PluginEngine: ExtractionEngine {
    public let name: String
    public let executable: URL
    public let identity: EngineIdentity
    public let limits: EngineLimits
    /// The return forms it declared (`""`, `"mask"`).
    public let returnForms: Set<String>
    /// The protocol version agreed on.
    public static let protocolVersion = 1

    private let environment: [String: String]
    private let retryPolicy: RetryPolicy
    private let calls: CallLimiter
    /// One start at a time.
    private let starting = CallLimiter(permits: 1)
    private let state: Mutex<State>

    private struct State {
        var process: PluginProcess?
        var ready = false
        var work: URL
        var nextID = 0
        /// Crashes in a row, for the pause before the next start.
        var crashes = 0
        /// The first start failed and no request has reported it yet.
        var startFailurePending = false
    }

    /// How long a plugin may take to say `hello`, and to be `ready` after `init`.
    public static let helloTimeout: Duration = .seconds(10)
    public static let readyTimeout: Duration = .seconds(300)

    /// Why the first start failed, if it did: every request tries again and fails with this
    /// until a start succeeds.
    public let startFailure: APIError?

    private init(name: String, executable: URL, hello: [String: JSONValue], process: PluginProcess?, startFailure: APIError? = nil, work: URL, environment: [String: String], retryPolicy: RetryPolicy) {
        self.startFailure = startFailure
        self.name = name
        self.executable = executable
        self.environment = environment
        self.retryPolicy = retryPolicy
        let version = hello["version"]?.string ?? "unversioned"
        let engine = hello["engine"]?.object
        let sha = engine?["sha256"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        identity = EngineIdentity(
            name: name, version: version, engineID: engine?["id"]?.string,
            namespace: "plugin:\(name):\(version)" + (sha.map { ":" + $0 } ?? "")
        )
        let concurrency = max(1, hello["concurrency"]?.int ?? 1)
        limits = EngineLimits(
            formats: [.jpeg, .png, .bmp], maxBytes: nil, minSide: 1, maxSide: nil,
            maxPixels: hello["max_pixels"]?.int, maxConcurrentCalls: concurrency
        )
        returnForms = Set((hello["return_forms"]?.array ?? [.string("")]).compactMap(\.string))
        calls = CallLimiter(permits: concurrency)
        state = Mutex(State(process: process, work: work, startFailurePending: startFailure != nil))
    }

    deinit {
        state.withLock { $0.process?.kill() }
        try? FileManager.default.removeItem(at: state.withLock { $0.work })
    }

    /// Starts the plugin and reads its `hello`.
    ///
    /// A plugin that does not start still gives an engine: each of its requests tries again and
    /// fails with the reason (``startFailure``), so that a batch reports it for every photo, with
    /// its code, and caches nothing.
    public static func start(
        name: String, executable: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
        retryPolicy: RetryPolicy = RetryPolicy()
    ) async -> PluginEngine {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("assets-plugin-\(name)-\(UUID().uuidString)", isDirectory: true)
        do {
            let (process, hello) = try await launch(name: name, executable: executable, work: work, environment: environment)
            return PluginEngine(name: name, executable: executable, hello: hello, process: process, work: work, environment: environment, retryPolicy: retryPolicy)
        } catch {
            return PluginEngine(name: name, executable: executable, hello: error.hello ?? [:], process: nil, startFailure: error.error, work: work, environment: environment, retryPolicy: retryPolicy)
        }
    }

    /// A start that failed, with the `hello` if one came (a plugin of another protocol).
    struct StartFailure: Error {
        var error: APIError
        var hello: [String: JSONValue]?
    }

    /// Starts a process in `work` and reads and checks its `hello`.
    ///
    /// - Throws: `PLUGIN_START_TIMEOUT` (no `hello` within 10 s, or it exited first),
    ///   `PLUGIN_INCOMPATIBLE` (no protocol version in common, or no head extraction).
    private static func launch(name: String, executable: URL, work: URL, environment: [String: String]) async throws(StartFailure) -> (PluginProcess, [String: JSONValue]) {
        let process: PluginProcess
        do {
            try FileManager.default.createDirectory(at: work.appendingPathComponent("in"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: work.appendingPathComponent("out"), withIntermediateDirectories: true)
            process = try PluginProcess(executable: executable, workFolder: work, environment: environment)
        } catch {
            throw StartFailure(error: APIError(code: "PLUGIN_START_TIMEOUT", errorClass: .internal, message: "The \(name) backend plugin (\(executable.path)) cannot be started: \(error.localizedDescription); check that the file is an executable program."))
        }
        guard let hello = await process.hello(timeout: helloTimeout) else {
            let line = await process.lastStderrLine(waiting: .milliseconds(300))
            process.kill()
            let why = process.hasEnded ? "exited before it said hello" : "said no hello within \(helloTimeout.components.seconds) s"
            throw StartFailure(error: APIError(code: "PLUGIN_START_TIMEOUT", errorClass: .internal, message: "The \(name) backend plugin \(why)\(line.map { " (its last words: \(quoted($0)))" } ?? ""); check that it speaks the assets plugin protocol."))
        }
        let offered = (hello["protocols"]?.array ?? []).compactMap(\.int)
        guard offered.contains(protocolVersion) else {
            process.send(["t": "shutdown"])
            process.kill()
            throw StartFailure(error: APIError(
                code: "PLUGIN_INCOMPATIBLE", errorClass: .internal,
                message: "The \(name) backend plugin speaks protocol \(offered.isEmpty ? "(none stated)" : offered.map(String.init).joined(separator: ", ")) and this assets speaks \(protocolVersion); upgrade the plugin or assets."
            ), hello: hello)
        }
        if let operations = hello["operations"]?.array?.compactMap(\.string), !operations.contains("avatar-extraction") {
            process.send(["t": "shutdown"])
            process.kill()
            throw StartFailure(error: APIError(code: "PLUGIN_INCOMPATIBLE", errorClass: .internal, message: "The \(name) backend plugin does not do avatar-extraction (it offers \(operations.joined(separator: ", "))); use another backend."), hello: hello)
        }
        return (process, hello)
    }

    // MARK: - Extracting

    public func extract(_ request: EngineRequest) async throws(APIError) -> EngineAnswer {
        let form = request.options.returnForm?.rawValue ?? ""
        guard startFailure != nil || returnForms.contains(form) else {
            throw APIError(code: "UNSUPPORTED_PARAMETER_VALUES", errorClass: .input, message: "The \(name) backend cannot give \(form.isEmpty ? "cutouts" : "masks"); \(form.isEmpty ? "ask for masks" : "ask for cutouts").")
        }
        do {
            return try await retryPolicy.run(
                classify: { error in (error as? APIError)?.errorClass == .transient ? .retry(retryAfter: nil) : .fail },
                onRetry: { _, _ in request.onRetry() }
            ) { _ in try await attempt(request) }
        } catch let error as APIError {
            throw error
        } catch is CancellationError {
            throw APIError.cancelled(request.name)
        } catch {
            throw APIError(code: "INTERNAL_ERROR", errorClass: .internal, message: "The extraction of \(request.name) failed: \(error).")
        }
    }

    /// One request to the plugin, within its concurrency.
    ///
    /// A request given up on (timed out, or its caller cancelled) keeps its place among the
    /// plugin's `concurrency` until the plugin answers it or, at most 2 s later, is done with
    /// it: a timed-out one's process is then killed, and a cancelled one is taken as dropped.
    /// So the plugin is never sent more requests than it said it takes, retries included.
    private func attempt(_ request: EngineRequest) async throws -> EngineAnswer {
        try await calls.take()
        // Set when the plugin may still be working on the request after this returns: its
        // place, its photo and its folder are then given back by `settle`.
        var handedOver = false
        defer { if !handedOver { calls.release() } }
        let process = try await readyProcess()
        let (id, work) = state.withLock { state -> (String, URL) in
            state.nextID += 1
            return (String(state.nextID), state.work)
        }
        let input = work.appendingPathComponent("in/\(id).\(request.probe.format.rawValue)")
        let output = work.appendingPathComponent("out/\(id)", isDirectory: true)
        try FileWrite.write(request.bytes, to: input)
        defer { if !handedOver { try? FileManager.default.removeItem(at: input) } }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let message = Self.extractMessage(
            id: id, input: input, sha256: request.sha256, probe: request.probe,
            returnForm: request.options.returnForm?.rawValue ?? "", output: output, timeout: request.timeout
        )
        let reply = await process.request(id, message, timeout: request.timeout)
        if process.isStillAbandoned(id) {
            handedOver = true
            let timedOut = if case .timedOut = reply { true } else { false }
            settle(id, on: process, killing: timedOut, removing: [input, output])
        }
        do {
            return try answer(reply, id: id, output: output, process: process, request: request)
        } catch {
            if !handedOver { try? FileManager.default.removeItem(at: output) }
            throw error
        }
    }

    /// Tells the plugin it need not answer request `id`, and once it has answered, or 2 s
    /// later, removes the request's `files` and gives its place back. If `killing`, a process
    /// that has still not answered is killed first, and the next request gets a new one.
    private func settle(_ id: String, on process: PluginProcess, killing: Bool, removing files: [URL]) {
        process.send(["t": "cancel", "id": .string(id)])
        Task { [weak self, calls] in
            let done = await process.settle(id, within: .seconds(2))
            if !done, killing {
                process.kill()
                process.end(.crashed(lastLine: nil))
                self?.forget(process)
            }
            for file in files { try? FileManager.default.removeItem(at: file) }
            calls.release()
        }
    }

    /// The `extract` message for the photo at `input`, whose results go into `output`.
    static func extractMessage(id: String, input: URL, sha256: ContentHash, probe: ProbedImage, returnForm: String, output: URL, timeout: Duration) -> [String: JSONValue] {
        [
            "t": "extract", "id": .string(id), "operation": "avatar-extraction",
            "input": .object([
                "path": .string(input.path), "sha256": .string(sha256.hex), "format": .string(probe.format.rawValue),
                "width": .number(Double(probe.width)), "height": .number(Double(probe.height)),
            ]),
            "options": .object(["return_form": .string(returnForm)]),
            "output_dir": .string(output.path),
            "deadline_ms": .number(Double(timeout.milliseconds)),
        ]
    }

    /// Turns a reply into an answer or an error, and deals with a process that failed.
    private func answer(_ reply: PluginProcess.Reply, id: String, output: URL, process: PluginProcess, request: EngineRequest) throws -> EngineAnswer {
        switch reply {
        case .result(let items):
            state.withLock { $0.crashes = 0 }
            return EngineAnswer(elements: try items.enumerated().map { position, item in try Self.element(item, position: position, output: output, engine: name) }, scratch: output)
        case .error(let code, let errorClass, let message):
            state.withLock { $0.crashes = 0 }
            throw APIError(
                code: Self.isCode(code) ? code : "PLUGIN_ERROR", errorClass: ErrorClass(rawValue: errorClass) ?? .internal,
                message: message.isEmpty ? "The \(name) backend failed without a message." : message
            )
        case .timedOut:
            throw APIError(code: "PLUGIN_TIMEOUT", errorClass: .transient, message: "The \(name) backend gave no answer for \(request.name) within \(Self.seconds(request.timeout)); try again, or allow more time.")
        case .crashed(let line):
            forget(process, crashed: true)
            let last = line ?? process.lastStderrLine
            throw APIError(code: "PLUGIN_CRASHED", errorClass: .transient, message: "The \(name) backend plugin stopped while extracting \(request.name)\(last.map { " (its last words: \(Self.quoted($0)))" } ?? ""); it is restarted for the next request.")
        case .protocolError(let line):
            forget(process, crashed: true)
            throw APIError(code: "PLUGIN_PROTOCOL_ERROR", errorClass: .internal, message: "The \(name) backend plugin wrote \(Self.quoted(line)), which is not a protocol message; it is restarted for the next request. Report this to the plugin's author.")
        case .cancelled:
            throw CancellationError()
        }
    }

    /// One element of a result, whose file must be a regular file inside `output`. (Its PNG,
    /// size, kind and box are checked by the manager, as for every engine's files.)
    static func element(_ item: [String: JSONValue], position: Int, output: URL, engine: String) throws(APIError) -> EngineElement {
        func bad(_ reason: String) -> APIError {
            APIError(code: "PLUGIN_BAD_RESULT", errorClass: .internal, message: "The \(engine) backend gave result \(position + 1) \(reason); nothing of its answer was stored. Report it to the plugin's author.")
        }
        guard let path = item["path"]?.string, let width = item["width"]?.int, let height = item["height"]?.int,
              let x = item["x"]?.int, let y = item["y"]?.int else {
            throw bad("without its path, width, height, x and y")
        }
        let file = URL(fileURLWithPath: path, relativeTo: output).standardizedFileURL
        let folder = output.resolvingSymlinksInPath().path + "/"
        let parent = file.deletingLastPathComponent().resolvingSymlinksInPath().path + "/"
        guard parent.hasPrefix(folder) else { throw bad("as a file outside its output folder (\(path))") }
        var info = stat()
        guard lstat(file.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw bad("as \(path), which is not a file") }
        return EngineElement(result: .file(file), width: width, height: height, x: x, y: y)
    }

    /// The process, started and `ready`: a new one if the last one ended.
    private func readyProcess() async throws -> PluginProcess {
        try await starting.withPermit { () async throws -> PluginProcess in
            let (current, ready, crashes, work, pending) = state.withLock { state in
                defer { state.startFailurePending = false }
                return (state.process, state.ready, state.crashes, state.work, state.startFailurePending)
            }
            // The start that just failed is the first request's answer; later ones try again.
            if pending, let startFailure { throw startFailure }
            if let current, !current.hasEnded, current.isRunning {
                if ready { return current }
                return try await initialize(current)
            }
            current?.kill()
            if crashes > 0 {
                // 0.25 s, 0.5 s, 1 s … at most 10 s between starts of a plugin that keeps crashing.
                try await Task.sleep(for: .milliseconds(min(10_000, 250 << min(crashes - 1, 6))))
            }
            let process: PluginProcess
            do {
                (process, _) = try await Self.launch(name: name, executable: executable, work: work, environment: environment)
            } catch let failure as StartFailure {
                throw failure.error
            }
            state.withLock { state in
                state.process = process
                state.ready = false
            }
            return try await initialize(process)
        }
    }

    /// Sends `init` and waits for `ready`.
    private func initialize(_ process: PluginProcess) async throws -> PluginProcess {
        process.send(["t": "init", "protocol": .number(Double(Self.protocolVersion))])
        guard await process.ready(timeout: Self.readyTimeout) else {
            let line = await process.lastStderrLine(waiting: .milliseconds(300))
            let exited = process.hasEnded
            process.kill()
            forget(process, crashed: true)
            throw APIError(
                code: exited ? "PLUGIN_CRASHED" : "PLUGIN_START_TIMEOUT", errorClass: exited ? .transient : .internal,
                message: "The \(name) backend plugin \(exited ? "stopped before it was ready" : "was not ready within \(Self.readyTimeout.components.seconds) s")\(line.map { " (its last words: \(Self.quoted($0)))" } ?? "")."
            )
        }
        state.withLock { $0.ready = true }
        return process
    }

    /// Drops `process` if it is still the current one, so the next request starts another.
    private func forget(_ process: PluginProcess, crashed: Bool = false) {
        state.withLock { state in
            if state.process === process {
                state.process = nil
                state.ready = false
            }
            if crashed { state.crashes += 1 }
        }
        process.kill()
    }

    // MARK: - Stopping

    /// Tells the plugin to stop: `shutdown`, then SIGTERM after 5 s, then SIGKILL after 5 more.
    public func shutdown() async {
        let process = state.withLock { state -> PluginProcess? in
            defer { state.process = nil; state.ready = false }
            return state.process
        }
        guard let process, process.isRunning else { return }
        process.send(["t": "shutdown"])
        if await process.waitForBye(timeout: .seconds(5)) { return }
        process.signal(SIGTERM)
        if await process.waitForExit(timeout: .seconds(5)) { return }
        process.kill()
    }

    // MARK: - Helpers

    private static func isCode(_ code: String) -> Bool {
        !code.isEmpty && code.count <= 64 && code.utf8.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }

    static func quoted(_ text: String) -> String {
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return "\"" + (line.count > 200 ? String(line.prefix(200)) + "…" : line) + "\""
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds) s" : String(format: "%.1f s", Double(seconds) + Double(attoseconds) / 1e18)
    }
}
