import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many connections a server holds and how long it waits for each part of a request.
///
/// ```swift
/// var limits = ServerLimits.derived(fromFileLimit: ServerLimits.raiseFileLimit())
/// limits.idleTimeout = .seconds(10)
/// ```
///
/// No client, with or without a key, can hold the server's memory, files or threads for
/// longer than these allow: a connection that sends nothing is closed after ``idleTimeout``;
/// one that starts a request has ``headerTimeout`` to finish its head and ``bodyTimeout`` to
/// finish its body (else `408`); past ``maxConnections`` a new connection gets `503` and is
/// closed.
public struct ServerLimits: Sendable, Hashable {
    /// The most connections open at once; one more is answered `503` with `Retry-After` and closed.
    public var maxConnections: Int
    /// How long a connection may stay open without a request in progress (keep-alive included).
    public var idleTimeout: Duration
    /// How long a client has, from the first byte of a request, to send its whole head.
    public var headerTimeout: Duration
    /// How long a client has, from the end of its request head, to send the whole body.
    public var bodyTimeout: Duration
    /// The most bytes of a request head (request line and header fields).
    public var maxHeaderBytes: Int
    /// After an early answer (`401`, `413`) to a request whose body is still coming, at most
    /// this many more body bytes are read before the connection is closed.
    public var drainBytes: Int

    public init(
        maxConnections: Int = 512, idleTimeout: Duration = .seconds(30), headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(60), maxHeaderBytes: Int = 16 * 1024, drainBytes: Int = 64 * 1024
    ) {
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxHeaderBytes = max(1024, maxHeaderBytes)
        self.drainBytes = max(0, drainBytes)
    }

    /// File descriptors kept out of every budget: standard streams, the event loops, the
    /// catalog's SQLite connections and their WAL files, logs, the transfer threads' sockets.
    public static let reservedFiles = 128

    /// Files one miss may hold at once: its lock file, an upstream socket, a socket and a
    /// partial file per result download, the temporary file it stores through.
    public static let filesPerMiss = 8

    /// The limits and the miss cap that fit in `fileLimit` open files.
    ///
    /// A quarter of what is left after ``reservedFiles`` goes to misses (at most `maxMisses`),
    /// the rest to connections (at most 4,096): at the common limit of 1,024 that is 28 misses
    /// and 672 connections, so a flood of either is refused before the process runs out of files.
    public static func derived(fromFileLimit fileLimit: Int, maxMisses: Int = 32) -> (limits: ServerLimits, maxMisses: Int) {
        let budget = max(16, fileLimit - reservedFiles)
        let misses = min(maxMisses, max(1, budget / 4 / filesPerMiss))
        let connections = min(4096, max(8, budget - misses * filesPerMiss))
        return (ServerLimits(maxConnections: connections), misses)
    }

    /// How many files this process has open now (the entries of `/proc/self/fd`), or 0 where
    /// that cannot be read. Inherited descriptors count against the limit like any other.
    public static func openFiles() -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return 0 }
        return names.count
    }

    /// Raises the soft limit on open files to the hard limit and returns the soft limit now in
    /// force (the most a process may raise it to without privileges).
    @discardableResult
    public static func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            // An "unlimited" hard limit is not a number of files; 1 Mi is more than any server here needs.
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
