import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files with plain system calls.
///
/// Foundation's `Data.write(to:)` fsyncs every file it writes on Linux. Blobs need that (they are
/// kept for good, and are renamed into place only once whole on disk); scratch files handed to a
/// plugin and copies written for the user do not, and a batch should not wait for the disk on
/// each of them.
public enum FileWrite {
    /// Creates (or truncates) `url` and writes `data` to it, fsyncing it first if `sync`.
    ///
    /// - Throws: ``StoreError`` worded by `errno` (disk full, read-only, no permission).
    public static func write(_ data: Data, to url: URL, sync: Bool = false) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StoreError.system("create", url.path, errno: errno) }
        try write(data, toDescriptor: descriptor, path: url.path, sync: sync)
    }

    /// Writes all of `data` to `descriptor`, fsyncs it if `sync`, and closes it.
    static func write(_ data: Data, toDescriptor descriptor: Int32, path: String, sync: Bool) throws {
        defer { close(descriptor) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw StoreError.system("write", path, errno: errno)
                }
                offset += written
            }
        }
        if sync, fsync(descriptor) != 0 { throw StoreError.system("fsync", path, errno: errno) }
    }
}
