import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One running plugin process and the JSON Lines on its pipes (`plugins` protocol v1).
///
/// Its stdout is read on a thread of its own and split into messages; a reply is handed to the
/// request waiting for its `id`. Its stderr is read on another thread and its last lines kept
/// for error messages; it never reaches this process's stdout. The process is its own process
/// group (Foundation's `Process` makes it one), so killing it kills whatever it started.
final class PluginProcess: Sendable {
    /// What a request gets back.
    enum Reply: Sendable {
        case result([[String: JSONValue]])
        case error(code: String, errorClass: String, message: String)
        /// The process exited or closed stdout.
        case crashed(lastLine: String?)
        /// It wrote a line that is not a JSON object.
        case protocolError(String)
        case timedOut
        case cancelled
    }

    private struct State {
        var waiters: [String: CheckedContinuation<Reply, Never>] = [:]
        var hello: [String: JSONValue]?
        var helloWaiter: CheckedContinuation<[String: JSONValue]?, Never>?
        var ready = false
        var readyWaiter: CheckedContinuation<Bool, Never>?
        /// Set once stdout ended or the process broke the protocol: nothing more is read.
        var ended: Reply?
        var stderrTail: [String] = []
        var stderrEnded = false
        /// Requests given up on (timed out or cancelled) after they were sent, whose answers
        /// have not come, with whoever waits for them to settle (``settle(_:within:)``).
        var abandoned: [String: [CheckedContinuation<Bool, Never>]] = [:]
        /// Requests cancelled before they were sent.
        var cancelledEarly: Set<String> = []
        /// It said `bye`.
        var saidBye = false
    }

    let executable: URL
    private let process: Process
    private let input: FileHandle
    private let state = Mutex(State())
    private let writeLock = NSLock()

    /// Starts `executable --assets-backend` in `workFolder`, with `ASSETS_BACKEND_PROTOCOLS=1`.
    init(executable: URL, workFolder: URL, environment: [String: String]) throws {
        self.executable = executable
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--assets-backend"]
        process.currentDirectoryURL = workFolder
        var environment = environment
        environment["ASSETS_BACKEND_PROTOCOLS"] = "1"
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        self.process = process
        input = stdin.fileHandleForWriting
        let outRead = stdout.fileHandleForReading
        let errRead = stderr.fileHandleForReading
        // Both ends the child uses are closed here, so EOF comes when the child is gone.
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        try? stdin.fileHandleForReading.close()
        Self.readLines(outRead, name: "assets.plugin.stdout") { [weak self] line in self?.received(line) } atEnd: { [weak self] in
            self?.end(.crashed(lastLine: nil))
        }
        Self.readLines(errRead, name: "assets.plugin.stderr") { [weak self] line in
            self?.state.withLock { state in
                state.stderrTail.append(String(decoding: line, as: UTF8.self))
                if state.stderrTail.count > 20 { state.stderrTail.removeFirst() }
            }
        } atEnd: { [weak self] in
            self?.state.withLock { $0.stderrEnded = true }
        }
    }

    deinit {
        kill()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// The last line the plugin wrote to stderr, if any.
    var lastStderrLine: String? {
        state.withLock { $0.stderrTail.last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) }
    }

    /// Waits up to `timeout` for the plugin's stderr to end (after it exited), so that its last
    /// line is known; returns that line.
    func lastStderrLine(waiting timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while !state.withLock({ $0.stderrEnded }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return lastStderrLine
    }

    /// Whether its stdout ended or it broke the protocol.
    var hasEnded: Bool { state.withLock { $0.ended != nil } }

    // MARK: - Sending

    /// Writes one message as one line. Returns `false` if the pipe is closed.
    @discardableResult
    func send(_ message: [String: JSONValue]) -> Bool {
        var line = JSONValue.object(message).encoded()
        line.append(0x0A)
        return writeLock.withLock {
            line.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(input.fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += written
                }
                return true
            }
        }
    }

    // MARK: - Waiting

    /// The `hello` message, or `nil` if the process ended or `timeout` passed first.
    func hello(timeout: Duration) async -> [String: JSONValue]? {
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.resumeHello(nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let now = state.withLock { state -> [String: JSONValue]?? in
                if let hello = state.hello { return .some(hello) }
                if state.ended != nil { return .some(nil) }
                state.helloWaiter = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Whether `ready` came within `timeout`.
    func ready(timeout: Duration) async -> Bool {
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.resumeReady(false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool? in
                if state.ready { return true }
                if state.ended != nil { return false }
                state.readyWaiter = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Sends `message` (an `extract` with this `id`) and waits for its answer, at most `timeout`.
    ///
    /// A request that times out or whose task is cancelled once it was sent is marked abandoned
    /// in the same step, so an answer that comes later is recognised and dropped; the plugin is
    /// still working on it until then (see ``settle(_:within:)``).
    func request(_ id: String, _ message: [String: JSONValue], timeout: Duration) async -> Reply {
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.giveUp(id, .timedOut)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let early = state.withLock { state -> Reply? in
                    if let ended = state.ended { return ended }
                    if state.cancelledEarly.remove(id) != nil { return .cancelled }
                    state.waiters[id] = continuation
                    return nil
                }
                if let early {
                    continuation.resume(returning: early)
                } else if !send(message) {
                    resolve(id, .crashed(lastLine: lastStderrLine))
                }
            }
        } onCancel: { [weak self] in
            self?.giveUp(id, .cancelled)
        }
    }

    /// Answers request `id` with `reason` (timed out or cancelled) and marks it abandoned, if it
    /// still waits; a request cancelled before it was sent is never sent.
    private func giveUp(_ id: String, _ reason: Reply) {
        let waiter = state.withLock { state -> CheckedContinuation<Reply, Never>? in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                if case .cancelled = reason { state.cancelledEarly.insert(id) }
                return nil
            }
            state.abandoned[id] = []
            return waiter
        }
        waiter?.resume(returning: reason)
    }

    // MARK: - Stopping

    /// SIGKILL to the whole process group.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(-process.processIdentifier, SIGKILL)
        Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// Sends `signal` to the process group.
    func signal(_ signal: Int32) {
        guard process.isRunning else { return }
        Glibc.kill(-process.processIdentifier, signal)
    }

    /// Waits up to `timeout` for the process to say `bye` or exit; returns whether it did.
    ///
    /// After `bye` the plugin has finished its work; its interpreter's teardown need not hold
    /// up `assets` (it is its own process group and exits by itself).
    func waitForBye(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, !state.withLock({ $0.saidBye }) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Waits up to `timeout` for the process to exit; returns whether it did.
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Stops reading, fails whatever waits with `reason`, and kills the process if it broke
    /// the protocol.
    func end(_ reason: Reply) {
        typealias Waiters = (replies: [CheckedContinuation<Reply, Never>], hello: CheckedContinuation<[String: JSONValue]?, Never>?, ready: CheckedContinuation<Bool, Never>?, settling: [CheckedContinuation<Bool, Never>])
        let (final, waiters) = state.withLock { state -> (Reply?, Waiters) in
            guard state.ended == nil else { return (nil, ([], nil, nil, [])) }
            var reason = reason
            if case .crashed(nil) = reason { reason = .crashed(lastLine: state.stderrTail.last(where: { !$0.isEmpty })) }
            state.ended = reason
            let waiters: Waiters = (Array(state.waiters.values), state.helloWaiter, state.readyWaiter, state.abandoned.values.flatMap { $0 })
            state.waiters.removeAll()
            state.abandoned.removeAll()
            state.helloWaiter = nil
            state.readyWaiter = nil
            return (reason, waiters)
        }
        guard let final else { return }
        for waiter in waiters.replies { waiter.resume(returning: final) }
        waiters.hello?.resume(returning: nil)
        waiters.ready?.resume(returning: false)
        for waiter in waiters.settling { waiter.resume(returning: true) }
        if case .protocolError = final { kill() }
    }

    // MARK: - Receiving

    private func received(_ line: [UInt8]) {
        let trimmed = line.last == 0x0D ? Array(line.dropLast()) : line
        if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        guard case .object(let message)? = JSONValue.decode(trimmed), case .string(let type)? = message["t"] else {
            let text = String(decoding: trimmed.prefix(120), as: UTF8.self)
            end(.protocolError(text))
            return
        }
        switch type {
        case "hello":
            let waiter = state.withLock { state -> CheckedContinuation<[String: JSONValue]?, Never>? in
                state.hello = message
                defer { state.helloWaiter = nil }
                return state.helloWaiter
            }
            waiter?.resume(returning: message)
        case "ready":
            resumeReady(true)
        case "result", "error":
            guard case .string(let id)? = message["id"] else { return }
            if let settled = state.withLock({ $0.abandoned.removeValue(forKey: id) }) {
                for waiter in settled { waiter.resume(returning: true) }
                return
            }
            if type == "result" {
                guard case .array(let items)? = message["elements"] else {
                    resolve(id, .protocolError("a result without an elements array"))
                    return
                }
                resolve(id, .result(items.compactMap { if case .object(let item) = $0 { item } else { nil } }))
            } else {
                let detail: [String: JSONValue] = if case .object(let detail)? = message["error"] { detail } else { [:] }
                resolve(id, .error(
                    code: detail["code"]?.string ?? "PLUGIN_ERROR", errorClass: detail["class"]?.string ?? "internal",
                    message: detail["message"]?.string ?? "The plugin gave no message."
                ))
            }
        case "bye":
            state.withLock { $0.saidBye = true }
        default:
            // Anything newer: unknown messages are ignored.
            break
        }
    }

    /// Whether request `id` was sent, then given up on (timed out or cancelled), and has still
    /// not been answered.
    func isStillAbandoned(_ id: String) -> Bool {
        state.withLock { $0.abandoned[id] != nil }
    }

    /// Waits until the plugin answers abandoned request `id` (it is done with it), the process
    /// ends, or `grace` passes. Returns whether the plugin is done with it: answered, or ended.
    /// After `grace` the request is forgotten: a late answer to it is dropped all the same.
    func settle(_ id: String, within grace: Duration) async -> Bool {
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: grace)) != nil else { return }
            self?.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                guard state.ended == nil, state.abandoned[id] != nil else { return true }
                state.abandoned[id]?.append(continuation)
                return false
            }
            if done { continuation.resume(returning: true) }
        }
    }

    /// `grace` passed without an answer to abandoned request `id`: whoever waits learns so.
    private func expire(_ id: String) {
        let waiters = state.withLock { $0.abandoned.removeValue(forKey: id) } ?? []
        for waiter in waiters { waiter.resume(returning: false) }
    }

    private func resolve(_ id: String, _ reply: Reply) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume(returning: reply)
    }

    private func resumeHello(_ value: [String: JSONValue]?) {
        let waiter = state.withLock { state -> CheckedContinuation<[String: JSONValue]?, Never>? in
            defer { state.helloWaiter = nil }
            return state.helloWaiter
        }
        waiter?.resume(returning: value)
    }

    private func resumeReady(_ value: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if value { state.ready = true }
            defer { state.readyWaiter = nil }
            return state.readyWaiter
        }
        waiter?.resume(returning: value)
    }

    /// Reads `handle` on a thread of its own, calling `line` for each line and `atEnd` at EOF.
    private static func readLines(_ handle: FileHandle, name: String, line: @escaping @Sendable ([UInt8]) -> Void, atEnd: @escaping @Sendable () -> Void) {
        let thread = Thread {
            let descriptor = handle.fileDescriptor
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                pending += buffer[..<count]
                while let newline = pending.firstIndex(of: 0x0A) {
                    line(Array(pending[..<newline]))
                    pending.removeSubrange(...newline)
                }
                // A line longer than 16 MiB is not a protocol message.
                if pending.count > 16 << 20 {
                    line(Array(pending.prefix(200)))
                    pending.removeAll()
                }
            }
            if !pending.isEmpty { line(pending) }
            try? handle.close()
            atEnd()
        }
        thread.name = name
        thread.stackSize = 256 * 1024
        thread.start()
    }
}
