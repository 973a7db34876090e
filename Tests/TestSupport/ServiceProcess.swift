import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real server (moto, PostgreSQL) run for a suite on a free loopback port.
///
/// The program runs under Tests/Support/until_stdin_closes.py, whose stdin is a pipe held by
/// this process: when the test run ends, even by a crash, the pipe closes and the server is
/// stopped, so none outlives its tests. ``start(_:arguments:environment:)`` returns once the
/// port accepts connections (a plain TCP connect, no request). Waits run on threads of their
/// own, never on Swift's cooperative pool.
public final class ServiceProcess: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let stdinPipe: Pipe
    private let stderrFile: URL
    private let lock = NSLock()
    private var stopped = false

    /// Where `name` is on `PATH`, or `nil`.
    public static func which(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func freePort() throws -> Int {
        let socket = try loopbackSocket()
        close(socket.descriptor)
        return socket.port
    }

    /// A TCP socket bound to a free port on 127.0.0.1, listening with `backlog` if one is given:
    /// its descriptor (the caller closes it) and its port.
    public static func loopbackSocket(listening backlog: Int32? = nil) throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ServiceProcessError(message: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && (backlog.map { listen(descriptor, $0) == 0 } ?? true)
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ServiceProcessError(message: "bind: \(reason)")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Starts `executable` (which should listen on `port`) and waits until it accepts.
    ///
    /// - Parameter arguments: built from the port chosen for the server.
    public static func start(
        _ executable: URL, port: Int, arguments: [String], environment: [String: String?] = [:], readyWithin: Duration = .seconds(30)
    ) async throws -> ServiceProcess {
        try await ChildProcess.onOwnThread {
            let service = try ServiceProcess(executable, port: port, arguments: arguments, environment: environment)
            try service.waitUntilAccepting(within: readyWithin)
            return service
        }
    }

    private init(_ executable: URL, port: Int, arguments: [String], environment: [String: String?]) throws {
        self.port = port
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("service-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repository.support("until_stdin_closes.py").path, executable.path] + arguments
        process.environment = ChildProcess.merged(environment)
        stdinPipe = Pipe()
        process.standardInput = stdinPipe
        let log = try FileHandle(forWritingTo: stderrFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: stderrFile)
    }

    /// What the server wrote so far (stdout and stderr), for a failure message.
    public var output: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    private func waitUntilAccepting(within timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw ServiceProcessError(message: "The server exited (status \(process.terminationStatus)) before it accepted on port \(port): \(output.suffix(2000))")
            }
            if (try? RawConnection(port: port)) != nil { return }
            usleep(50_000)
        }
        stop()
        throw ServiceProcessError(message: "The server did not accept on port \(port) within \(timeout): \(output.suffix(2000))")
    }

    /// Stops the server and waits until it has exited.
    public func stop() {
        let already = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !already else { return }
        try? stdinPipe.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        for _ in 0..<400 where process.isRunning { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The server program's own process id (the wrapper's child, read from /proc), or `nil` when
    /// it is not running.
    public var programProcessID: pid_t? {
        guard process.isRunning else { return nil }
        let wrapper = process.processIdentifier
        guard let file = FileHandle(forReadingAtPath: "/proc/\(wrapper)/task/\(wrapper)/children") else { return nil }
        defer { try? file.close() }
        let text = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }.first
    }

    /// Stops the server the way it asks to be stopped: sends `signal` to the program itself (not
    /// to its wrapper, which would only pass on SIGTERM) and waits until it has exited; after
    /// `within` it is stopped as ``stop()`` does. Blocks: call it on a thread of its own.
    ///
    /// - Returns: whether the program exited on `signal` within the time.
    @discardableResult
    public func stop(signal: Int32, within timeout: Duration = .seconds(30)) -> Bool {
        guard !lock.withLock({ stopped }) else { return !process.isRunning }
        var exited = false
        if let program = programProcessID, kill(program, signal) == 0 {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
            exited = !process.isRunning
        }
        stop()
        return exited
    }
}

public struct ServiceProcessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
