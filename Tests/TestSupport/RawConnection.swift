import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP connection to a loopback port, for tests that must behave as no HTTP client
/// library would: send half a header, stall mid-body, hold a connection idle.
///
/// Every read has a deadline, so a test against a server that never answers ends with a
/// failure, not a hang.
public final class RawConnection: @unchecked Sendable {
    private var descriptor: Int32

    /// Connects to `127.0.0.1:port`.
    public init(port: Int) throws {
        // Close-on-exec: the servers a test starts must not inherit its sockets.
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw Failure("connect to port \(port): \(reason)")
        }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Sends all of `bytes`; returns `false` if the peer closed or reset the connection.
    @discardableResult
    public func send(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let sent = array[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }

    /// Sends `text` as UTF-8.
    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// What a read up to `deadline` saw.
    public struct Received: Sendable {
        public var bytes: [UInt8]
        /// The peer closed (or reset) the connection.
        public var closed: Bool
        public var text: String { String(decoding: bytes, as: UTF8.self) }

        public init(bytes: [UInt8] = [], closed: Bool = false) {
            self.bytes = bytes
            self.closed = closed
        }
    }

    /// Reads until the peer closes, `until` holds for what arrived, or `timeout` passes.
    public func receive(timeout: Duration, until: ([UInt8]) -> Bool = { _ in false }) -> Received {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return Received(bytes: bytes, closed: false) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return Received(bytes: bytes, closed: true)
            }
            if ready == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return Received(bytes: bytes, closed: true) }
            bytes += buffer[..<count]
            if until(bytes) { return Received(bytes: bytes, closed: false) }
        }
    }

    /// Closes the connection now.
    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}

extension Array where Element == UInt8 {
    /// Whether these bytes hold a whole HTTP head (`\r\n\r\n`).
    public var holdsHTTPHead: Bool {
        count >= 4 && (0...(count - 4)).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}
