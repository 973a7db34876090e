import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock on a file (`flock`), shared by every process that opens the same path.
///
/// The kernel drops the lock when the holder exits, however it exits, so a crashed process
/// never leaves a stale lock behind.
public final class FileLock: @unchecked Sendable {
    // The descriptor is only touched by the holder between `lock` and `unlock`.
    private let descriptor: Int32
    public let url: URL

    /// Opens (creating if needed) the lock file. Does not lock it.
    public init(url: URL) throws {
        self.url = url
        descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BlobStore.ioError("open the lock file", url.path) }
    }

    deinit {
        close(descriptor)
    }

    /// Blocks the calling thread until the lock is held.
    public func lock() throws {
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw BlobStore.ioError("lock", url.path) }
        }
    }

    /// Takes the lock if nobody holds it. Returns whether it is now held.
    public func tryLock() throws -> Bool {
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { return false }
            guard errno == EINTR else { throw BlobStore.ioError("lock", url.path) }
        }
        return true
    }

    public func unlock() {
        flock(descriptor, LOCK_UN)
    }

    /// Runs `body` while holding the lock, blocking the thread to wait for it.
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        try lock()
        defer { unlock() }
        return try body()
    }

    /// Waits for the lock without blocking a thread, polling every few milliseconds.
    public func lockAsync() async throws {
        var wait: UInt64 = 2
        while try !tryLock() {
            try await Task.sleep(for: .milliseconds(wait))
            wait = min(wait * 2, 50)
        }
    }
}
