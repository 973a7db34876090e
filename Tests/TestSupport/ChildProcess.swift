import Foundation

/// The outcome of running a program to its end.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// stdout split into non-empty lines.
    public var lines: [String] { stdoutText.split(separator: "\n").map(String.init) }
}

/// Runs programs for the tests, as a person at a terminal would.
///
/// Every wait happens on a thread of its own, never on Swift's cooperative pool: tests run in
/// parallel, and on a 2-core machine two blocked pool threads would stall the whole run.
public enum ChildProcess {
    /// Runs `executable` with `arguments` to its end and collects both streams.
    ///
    /// `environment` entries are added to (or, with a `nil` value, removed from) this process's
    /// environment.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String?] = [:], currentDirectory: URL? = nil) async throws -> ProcessResult {
        try await onOwnThread {
            try runBlocking(executable, arguments, environment: merged(environment), currentDirectory: currentDirectory)
        }
    }

    /// Runs `executable` to its end on the calling thread, which it blocks; kills it with
    /// SIGKILL after `timeout`, if one is given. `environment` is the child's whole environment.
    public static func runBlocking(_ executable: URL, _ arguments: [String], environment: [String: String], currentDirectory: URL? = nil,
                                   timeout: Duration? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let processID = process.processIdentifier
        let killer = DispatchWorkItem { kill(processID, SIGKILL) }
        if let timeout {
            let milliseconds = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds), execute: killer)
        }
        defer { killer.cancel() }
        // Read both pipes while the child runs, so that a full pipe cannot stall it.
        nonisolated(unsafe) var outData = Data()
        let readerDone = DispatchSemaphore(value: 0)
        Thread {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            readerDone.signal()
        }.start()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        readerDone.wait()
        exited.wait()
        return ProcessResult(status: process.terminationStatus, stdout: outData, stderr: errData)
    }

    /// Waits for a process started elsewhere, without blocking a cooperative thread.
    public static func wait(for process: Process) async {
        _ = try? await onOwnThread {
            while process.isRunning { usleep(5_000) }
        }
    }

    /// This process's environment with `changes` applied (`nil` removes a variable).
    public static func merged(_ changes: [String: String?]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in changes { environment[key] = value }
        return environment
    }

    /// Runs blocking work on a thread of its own and resumes when it is done.
    public static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
