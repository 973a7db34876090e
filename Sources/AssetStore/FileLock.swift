import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock on a file (`flock`), shared by every process that opens the same path.
///
/// The kernel drops the lock when the holder exits, however it exits, so a crashed process
/// never leaves a stale lock behind (only, at worst, its file, which `gc` sweeps).
///
/// The lock is on the file at `url` *now*: after `flock` succeeds, the holder checks that its
/// descriptor and the path still name the same file (device and inode), and otherwise opens
/// the path again and retries. So ``release()`` may unlink the file while holding the lock: a
/// waiter that opened the old file wakes on an unlinked inode, sees that, and waits on the new
/// one instead of believing it holds the lock.
public final class FileLock: @unchecked Sendable {
    // The descriptor is only touched by the holder between `lock` and `unlock`, and by the
    // one task that is taking the lock.
    private var descriptor: Int32
    public let url: URL

    /// Opens (creating if needed) the lock file. Does not lock it.
    public init(url: URL) throws {
        self.url = url
        descriptor = try Self.open(url)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    private static func open(_ url: URL) throws -> Int32 {
        let descriptor = Glibc.open(url.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else { throw BlobStore.ioError("open the lock file", url.path) }
        return descriptor
    }

    /// Blocks the calling thread until the lock is held.
    public func lock() throws {
        while true {
            while flock(descriptor, LOCK_EX) != 0 {
                guard errno == EINTR else { throw BlobStore.ioError("lock", url.path) }
            }
            if try holdsCurrentFile() { return }
        }
    }

    /// Takes the lock if nobody holds it. Returns whether it is now held.
    public func tryLock() throws -> Bool {
        while true {
            while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                if errno == EWOULDBLOCK { return false }
                guard errno == EINTR else { throw BlobStore.ioError("lock", url.path) }
            }
            if try holdsCurrentFile() { return true }
        }
    }

    /// After a successful `flock`: whether the locked file is still the one at `url`. If it is
    /// not (the holder before removed it), unlocks, opens the path afresh and returns `false`,
    /// so that the caller takes the lock again on the file that is there now.
    private func holdsCurrentFile() throws -> Bool {
        var held = stat()
        var current = stat()
        if fstat(descriptor, &held) == 0, lstat(url.path, &current) == 0,
           held.st_dev == current.st_dev, held.st_ino == current.st_ino {
            return true
        }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
        descriptor = try Self.open(url)
        return false
    }

    /// Drops the lock and keeps the file.
    public func unlock() {
        flock(descriptor, LOCK_UN)
    }

    /// Removes the lock file and then drops the lock: what a holder does when it is done, so
    /// that `locks/` does not keep a file for every key ever locked. Only a holder may call it.
    public func release() {
        unlink(url.path)
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
