import DurableFiles
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the store cannot be used, as one sentence that says what to do.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The store folder cannot be created, read or written.
        case unusableLocation
        /// The catalog was migrated by a newer `assets`.
        case newerCatalog
        /// The catalog file is not a database or is damaged.
        case corruptCatalog
        /// A SQLite database that is not an assets catalog sits where the catalog should be.
        case foreignCatalog
        /// A catalog row holds values of the wrong type, length or range; `verify --repair`
        /// quarantines it.
        case malformedRow
        /// A blob is missing or does not match its hash.
        case corruptBlob
        /// The disk (or the user's quota) is full.
        case diskFull
        /// The process has run out of file descriptors (EMFILE, ENFILE).
        case tooManyOpenFiles
        /// The store was opened read-only, or its files or file system cannot be written.
        case readOnly
        /// The operating system refused access (EACCES, EPERM).
        case permissionDenied
        /// Any other I/O or SQLite failure.
        case io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The error for a failed system call, worded by its `errno`: a full disk says to free
    /// space, a lack of file descriptors says to raise the limit, and only a refusal of access
    /// blames permissions.
    ///
    /// - Parameters:
    ///   - operation: what failed, as a verb phrase (`"open"`, `"write"`, `"rename"`).
    ///   - path: the file it failed on.
    ///   - code: the `errno` value.
    public static func system(_ operation: String, _ path: String, errno code: Int32) -> StoreError {
        let reason = String(cString: strerror(code)).lowercased()
        switch code {
        case ENOSPC, EDQUOT:
            return StoreError(.diskFull, "Cannot \(operation) \(path): the disk is full; free some disk space and try again.")
        case EMFILE, ENFILE:
            return StoreError(.tooManyOpenFiles, "Cannot \(operation) \(path): too many open files; raise the open-file limit (ulimit -n) or run fewer jobs at once.")
        case EROFS:
            return StoreError(.readOnly, "Cannot \(operation) \(path): the file system is read-only; use a store on a writable disk.")
        case EACCES, EPERM:
            return StoreError(.permissionDenied, "Cannot \(operation) \(path): permission denied; check the store folder's permissions.")
        case ENOENT:
            return StoreError(.io, "Cannot \(operation) \(path): it does not exist; check that the store folder was not moved or deleted.")
        default:
            return StoreError(.io, "Cannot \(operation) \(path): \(reason); check the store folder and try again.")
        }
    }

    /// A failed atomic write or rename, worded by its `errno` like ``system(_:_:errno:)``.
    init(_ error: AtomicFileError) {
        self = .system(error.operation.rawValue, error.path, errno: error.code)
    }

    /// Whether this process cannot open another file right now (it has used up its
    /// descriptors). SQLite reports that only as "unable to open", so the catalog asks.
    static func descriptorsExhausted() -> Bool {
        let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return errno == EMFILE || errno == ENFILE }
        close(descriptor)
        return false
    }
}
