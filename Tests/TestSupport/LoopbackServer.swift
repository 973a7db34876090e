import AssetTransport
import Foundation

/// Runs Tests/Support/loopback_server.py for one test and stops it when released.
///
/// The server exits by itself if this process dies, because it watches its stdin pipe.
public final class LoopbackServer: @unchecked Sendable {
    public let port: Int
    public let baseURL: URL
    private let process: Process
    private let stdinPipe: Pipe
    private let lock = NSLock()
    private var stopped = false

    public static let script = Repository.support("loopback_server.py")

    public init(arguments: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, "--exit-on-stdin-eof"] + arguments
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        self.process = process
        self.stdinPipe = input

        var line = Data()
        let reader = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("listening on http://127.0.0.1:"), let port = Int(text.split(separator: ":").last ?? "") else {
            process.terminate()
            throw LoopbackServerError(message: "loopback_server.py did not start; its first line was \(text.debugDescription).")
        }
        self.port = port
        self.baseURL = URL(string: "http://127.0.0.1:\(port)")!
    }

    deinit { stop() }

    /// Starts a server without blocking a cooperative thread while Python starts up.
    public static func start(arguments: [String] = []) async throws -> LoopbackServer {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try LoopbackServer(arguments: arguments) }) }.start()
        }
    }

    /// The URL of `path` (which may carry a query) on this server.
    public func url(_ path: String) -> URL {
        URL(string: baseURL.absoluteString + path)!
    }

    /// Stops the server and waits until it has exited, so its port no longer answers.
    public func stop() {
        let alreadyStopped = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        if process.isRunning { process.terminate() }
        // If SIGTERM is blocked in the child, do not hang the test run: escalate.
        for _ in 0..<150 where process.isRunning { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? stdinPipe.fileHandleForWriting.close()
    }

    /// The server's `/__stats` counters.
    public func stats() async throws -> [String: Int] {
        let response = try await CurlTransport().send(HTTPRequest(url: url("/__stats")))
        return try JSONDecoder().decode([String: Int].self, from: response.body)
    }
}

public struct LoopbackServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
