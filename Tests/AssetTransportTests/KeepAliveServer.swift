import AssetTransport
import Foundation
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A keep-alive HTTP/1.1 server on plain sockets that counts the TCP connections it accepts.
///
/// Each request is answered with `"<n> <path> <sha256 of the request body>"`, where `n` counts
/// requests from 1. Request numbers in `hangUpOn` are read whole and then the connection is
/// closed without an answer, as a server does when it drops an idle keep-alive connection just
/// as a request arrives. Call ``stop()`` when done: the accept thread holds the server.
final class KeepAliveServer: Sendable {
    let port: Int
    private let listener: Int32
    private let state = Mutex(State())
    private let hangUpOn: Set<Int>

    private struct State {
        var connections = 0
        var requests = 0
        var stopped = false
    }

    init(hangUpOn: Set<Int> = []) throws {
        self.hangUpOn = hangUpOn
        (listener, port) = try ServiceProcess.loopbackSocket(listening: 16)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// TCP connections accepted so far.
    var connections: Int { state.withLock { $0.connections } }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Stops accepting; the accept loop closes the listening socket within 50 ms.
    func stop() {
        state.withLock { $0.stopped = true }
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func acceptLoop() {
        defer { close(listener) }
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            state.withLock { $0.connections += 1 }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var buffer: [UInt8] = []
        while !isStopped {
            guard let (head, body) = readRequest(connection, buffer: &buffer) else { return }
            let number = state.withLock { state -> Int in
                state.requests += 1
                return state.requests
            }
            if hangUpOn.contains(number) { return }
            let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            let answer = Array("\(number) \(path) \(SHA256Hex.of(Data(body)))".utf8)
            let response = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(answer.count)\r\n\r\n".utf8) + answer
            guard sendAll(connection, response) else { return }
        }
    }

    /// The next request's head and body, or `nil` once the client closes the connection.
    private func readRequest(_ connection: Int32, buffer: inout [UInt8]) -> (head: String, body: [UInt8])? {
        var headEnd: Int?
        while true {
            if headEnd == nil, let end = Self.find([13, 10, 13, 10], in: buffer) { headEnd = end + 4 }
            if let headEnd {
                let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
                let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                    return Int(parts[1].trimmingCharacters(in: .whitespaces))
                }.first ?? 0
                if buffer.count >= headEnd + length {
                    let body = Array(buffer[headEnd..<(headEnd + length)])
                    buffer.removeFirst(headEnd + length)
                    return (head, body)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return nil }
            buffer += chunk[..<count]
        }
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    private func sendAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }
}
