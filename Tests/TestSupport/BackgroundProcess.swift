import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program left running while a test talks to it, such as `assets serve`.
///
/// Its first stdout line (the `listening on` announcement) can be awaited, and it is stopped
/// with SIGTERM. Every wait happens on a thread of its own, never on Swift's cooperative pool.
public final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()
    private let stdout = Pipe()
    private let stderrFile: URL

    public init(_ executable: URL, _ arguments: [String], environment: [String: String?] = [:]) throws {
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ChildProcess.merged(environment)
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: stderrFile)
    }

    /// Whether the program is still running.
    public var isRunning: Bool { process.isRunning }

    /// The first line on stdout; fails if the program closes stdout (or exits) first.
    public func firstLine() async throws -> String {
        let handle = stdout.fileHandleForReading
        return try await ChildProcess.onOwnThread {
            var line = Data()
            while true {
                let chunk = handle.availableData
                guard !chunk.isEmpty else { throw BackgroundProcessError(message: "No line on stdout: \(String(decoding: line, as: UTF8.self))") }
                line.append(chunk)
                if let newline = line.firstIndex(of: 0x0A) { return String(decoding: line[..<newline], as: UTF8.self) }
            }
        }
    }

    /// Sends SIGKILL (no clean-up, as a crash or the OOM killer would) and waits for the exit.
    public func kill() async {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        await ChildProcess.wait(for: process)
    }

    /// The process's ID.
    public var pid: Int32 { process.processIdentifier }

    /// Everything written to stderr so far.
    public var stderrSoFar: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits for the exit status; returns it with everything written to stderr.
    public func terminate() async -> (status: Int32, stderr: String) {
        process.terminate()
        await ChildProcess.wait(for: process)
        let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        return (process.terminationStatus, stderr)
    }
}

public struct BackgroundProcessError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
