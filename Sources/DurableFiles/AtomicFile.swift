import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Puts files in place whole or not at all: written to a temporary file in the destination's
/// folder, then renamed over the destination, so a reader sees the old file or the new one,
/// never half of one.
///
/// ```swift
/// try AtomicFile.write(json, to: cassette)                                   // a scratch file
/// try AtomicFile.write(blob, to: path, syncFile: true, syncFolder: true)     // kept for good
/// ```
///
/// Each layer words the failure for its own users, so this throws ``AtomicFileError``, which
/// holds the failed operation, the path and `errno`, and callers map it to their own error.
///
/// - Important: Thread-safe; two writers of one destination each rename a whole file, and
///   the last rename wins.
package enum AtomicFile {
    /// Writes `data` to a temporary file beside `destination` and renames it into place.
    ///
    /// - Parameters:
    ///   - syncFile: fsync the file before the rename, so the renamed file is whole after a
    ///     power cut.
    ///   - syncFolder: fsync the folder after the rename, so the new name itself is on disk.
    ///   - temporaryName: the temporary file's name; by default a hidden name made from the
    ///     destination's and a UUID.
    /// - Throws: ``AtomicFileError``; the temporary file is removed and `destination` is left
    ///   as it was.
    package static func write(
        _ data: Data, to destination: URL, syncFile: Bool = false, syncFolder: Bool = false,
        temporaryName: String? = nil
    ) throws(AtomicFileError) {
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(temporaryName ?? ".\(destination.lastPathComponent).tmp-\(UUID().uuidString)", isDirectory: false)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw AtomicFileError(.create, temporary.path) }
        do throws(AtomicFileError) {
            defer { close(descriptor) }
            try writeAll(data, to: descriptor, path: temporary.path)
            if syncFile, fsync(descriptor) != 0 { throw AtomicFileError(.sync, temporary.path) }
        } catch {
            unlink(temporary.path)
            throw error
        }
        do throws(AtomicFileError) {
            try move(temporary, to: destination, syncFolder: syncFolder)
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// Renames a finished file into place at `destination`, replacing what was there.
    ///
    /// - Parameters:
    ///   - source: a file on the same file system (a rename across file systems fails with
    ///     `EXDEV`, which the caller may handle by copying).
    ///   - syncFolder: fsync the destination's folder after the rename.
    /// - Throws: ``AtomicFileError``; `source` is left where it was.
    package static func move(_ source: URL, to destination: URL, syncFolder: Bool = false) throws(AtomicFileError) {
        guard rename(source.path, destination.path) == 0 else { throw AtomicFileError(.rename, destination.path) }
        if syncFolder { Self.syncFolder(destination.deletingLastPathComponent()) }
    }

    /// Makes a rename durable: the directory entry itself must reach the disk. Best effort: a
    /// file system that cannot fsync a folder has nothing more to give.
    package static func syncFolder(_ folder: URL) {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws(AtomicFileError) {
        let failed: Bool = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                offset += written
            }
            return false
        }
        if failed { throw AtomicFileError(.write, path) }
    }
}

/// Why ``AtomicFile`` could not put a file in place: the system call that failed, its path and
/// `errno`. Callers turn it into their own error, worded for their users.
package struct AtomicFileError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Operation: String, Sendable, Hashable {
        case create, write, sync = "fsync", rename
    }

    package var operation: Operation
    package var path: String
    package var code: Int32

    /// The error for `operation` on `path`, with the current `errno`.
    package init(_ operation: Operation, _ path: String, errno code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The system's words for ``code``, such as "No space left on device".
    package var reason: String { String(cString: strerror(code)) }

    package var description: String { "Cannot \(operation.rawValue) \(path): \(reason.lowercased())." }
}
