import DurableFiles
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Content-addressed files: each blob lives at `blobs/ab/cdef…`, named by its SHA-256.
///
/// A write goes to a temporary file in the blob's own folder, is fsynced, and is then renamed
/// into place, so a blob file is either whole or absent. Putting the same bytes twice stores
/// them once. The catalog row that points at a blob is committed only after the rename, so a
/// crash in between leaves an orphan file that `gc` sweeps, never a row without its file.
/// (``putUnsynced(_:)`` defers the fsyncs to ``sync(_:)``, which must come before the row.)
///
/// - Important: `BlobStore` is a value that only knows its root folder; it is safe to use from
///   any thread and any process.
public struct BlobStore: Sendable {
    /// The `blobs` folder.
    public let root: URL
    /// `root`'s path, ending in `/`: blob paths are built as strings, because a hit asks for
    /// them and URL's path operations cost more than the catalog lookup.
    private let rootPath: String

    /// Files whose name starts with this are writes in progress (or left by a crash).
    static let temporaryPrefix = ".tmp-"

    public init(root: URL) {
        self.root = root
        let path = root.path
        rootPath = path.hasSuffix("/") ? path : path + "/"
    }

    /// Where the blob with this hash lives, whether or not it exists.
    public func url(for hash: ContentHash) -> URL {
        URL(fileURLWithPath: path(for: hash), isDirectory: false)
    }

    /// `url(for:)` as a path: `root/ab/cdef…`.
    func path(for hash: ContentHash) -> String {
        let hex = hash.hex
        return rootPath + hex.prefix(2) + "/" + hex.dropFirst(2)
    }

    /// Whether the blob's file exists as a regular file. A symlink, a FIFO or a folder at a
    /// blob's path is not a blob: it is never followed.
    public func contains(_ hash: ContentHash) -> Bool {
        size(of: hash) != nil
    }

    /// The size of the blob's file, or `nil` if it is missing or not a regular file (a
    /// symlink at the path is not followed).
    public func size(of hash: ContentHash) -> Int64? {
        var info = stat()
        guard lstat(path(for: hash), &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Stores `data` and returns its hash, durably: the file and its name are fsynced before
    /// this returns, so a catalog row may point at the blob from then on.
    ///
    /// A blob already stored (a regular file whose bytes match its name) is not rewritten, only
    /// fsynced (another writer may have left it ``putUnsynced(_:)``); anything else at its
    /// path (a symlink, a short or torn file) is replaced.
    @discardableResult
    public func put(_ data: Data) throws -> (hash: ContentHash, size: Int64) {
        try put(data, sync: true)
    }

    /// Stores `data` whole for every reader at once, but leaves it to ``sync(_:)`` to reach
    /// the disk: for a copy whose original is kept elsewhere (a shared tier's), so that the
    /// answer need not wait for two fsyncs.
    ///
    /// No catalog row may point at the blob before ``sync(_:)`` returns. A power cut before it
    /// may leave a torn file with no row; ``put(_:)`` and ``check(_:size:)`` see it as such.
    @discardableResult
    public func putUnsynced(_ data: Data) throws -> (hash: ContentHash, size: Int64) {
        try put(data, sync: false)
    }

    /// Makes a blob written by ``putUnsynced(_:)`` durable: its file, then its folder.
    ///
    /// - Throws: ``StoreError`` `.corruptBlob` when the blob is missing, or the `fsync`'s failure.
    public func sync(_ hash: ContentHash) throws {
        let path = path(for: hash)
        let descriptor: Int32
        switch Self.openFile(path) {
        case .opened(let opened, _): descriptor = opened
        case .absent: throw Self.missing(hash)
        case .failed(let error): throw error
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Self.ioError("fsync", path) }
        AtomicFile.syncFolder(URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    private func put(_ data: Data, sync: Bool) throws -> (hash: ContentHash, size: Int64) {
        let hash = ContentHash.of(data)
        // check(_:size:) compares the size before it hashes, so a short or long file costs no read.
        if check(hash, size: Int64(data.count)) == .intact {
            if sync { try self.sync(hash) }
            return (hash, Int64(data.count))
        }
        let destination = url(for: hash)
        try createShard(for: destination)
        do throws(AtomicFileError) {
            try AtomicFile.write(
                data, to: destination, syncFile: sync, syncFolder: sync,
                temporaryName: Self.temporaryPrefix + UUID().uuidString
            )
        } catch {
            throw StoreError(error)
        }
        return (hash, Int64(data.count))
    }

    /// Moves a finished file into the store, hashing it on the way, and returns its hash.
    ///
    /// The source file is consumed: renamed into place, or removed if the blob already exists.
    /// It should be on the same file system as the store (a download into the store's `tmp`
    /// folder is), and must be a regular file: a symlink is refused, never followed.
    @discardableResult
    public func put(fileAt source: URL) throws -> (hash: ContentHash, size: Int64) {
        let file = try Self.openRegularFile(source.path)
        defer { close(file.descriptor) }
        let hash = try ContentHash.of(descriptor: file.descriptor, path: source.path)
        let size = file.size
        if check(hash, size: size) == .intact {
            try sync(hash)
            unlink(source.path)
            return (hash, size)
        }
        let destination = url(for: hash)
        try createShard(for: destination)
        // fsync the source before the rename, so the renamed file is whole after a power cut.
        guard fsync(file.descriptor) == 0 else { throw Self.ioError("fsync", source.path) }
        do throws(AtomicFileError) {
            try AtomicFile.move(source, to: destination, syncFolder: true)
        } catch where error.code == EXDEV {
            // A cross-device source: copy through a temporary file in the shard instead.
            let data = try Self.readWhole(file.descriptor, size: size, path: source.path)
            try put(data)
            unlink(source.path)
        } catch {
            throw StoreError(error)
        }
        return (hash, size)
    }

    /// The blob's bytes, read whole from the file before they are used. With `verify`, they
    /// are re-hashed and a mismatch throws.
    ///
    /// The file is opened without following symlinks (`O_NOFOLLOW`) and must be a regular file:
    /// a symlink or a FIFO at the blob's path counts as a missing blob, and is never followed
    /// or waited on. This is the way to serve a blob.
    ///
    /// - Throws: ``StoreError`` `.corruptBlob` when the blob is missing, not a regular file or
    ///   (with `verify`) does not match its hash; another kind, worded by `errno`, when the
    ///   file cannot be read (too many open files, for one).
    public func read(_ hash: ContentHash, verify: Bool = false) throws -> Data {
        let path = path(for: hash)
        let file: (descriptor: Int32, size: Int64)
        switch Self.openFile(path) {
        case .opened(let descriptor, let size): file = (descriptor, size)
        case .absent: throw Self.missing(hash)
        case .failed(let error): throw error
        }
        defer { close(file.descriptor) }
        let data = try Self.readWhole(file.descriptor, size: file.size, path: path)
        if verify, ContentHash.of(data) != hash {
            throw StoreError(.corruptBlob, "Blob \(hash.hex) does not match its hash; repair the store and extract again.")
        }
        return data
    }

    /// Re-hashes the blob's file (a regular file, never a symlink's target). Returns `false`
    /// when it is missing, not a regular file or corrupt.
    public func isIntact(_ hash: ContentHash) -> Bool {
        check(hash, size: nil) == .intact
    }

    /// What ``check(_:size:)`` found.
    public enum Condition: Sendable, Hashable {
        /// A regular file whose bytes hash to its name (and, if asked, of the expected size).
        case intact
        /// No regular file at the path (nothing, or a symlink, a FIFO, a folder).
        case missing
        /// A regular file of the wrong size or whose bytes do not match its name.
        case corrupt
        /// The file could not be read (too many open files, an I/O error): no verdict.
        case unreadable(StoreError)
    }

    /// Checks the blob's file: a regular file, of `size` bytes if given, whose bytes hash to
    /// its name. Opened with `O_NOFOLLOW`; read in 1 MiB chunks.
    public func check(_ hash: ContentHash, size expected: Int64?) -> Condition {
        let path = path(for: hash)
        let file: (descriptor: Int32, size: Int64)
        switch Self.openFile(path) {
        case .opened(let descriptor, let size): file = (descriptor, size)
        case .absent: return .missing
        case .failed(let error): return .unreadable(error)
        }
        defer { close(file.descriptor) }
        if let expected, expected != file.size { return .corrupt }
        do {
            return try ContentHash.of(descriptor: file.descriptor, path: path) == hash ? .intact : .corrupt
        } catch let error as StoreError {
            return .unreadable(error)
        } catch {
            return .corrupt
        }
    }

    /// Deletes the blob's file, if any.
    public func remove(_ hash: ContentHash) {
        unlink(path(for: hash))
    }

    /// Reads a regular file whole, without following a symlink at its path: what
    /// `ResultExporter` copies out of the store, so that a planted link never leaks a file.
    ///
    /// - Throws: ``StoreError`` when the path is missing, a symlink or not a regular file, or
    ///   cannot be read.
    public static func readRegularFile(at url: URL) throws -> Data {
        let file = try openRegularFile(url.path)
        defer { close(file.descriptor) }
        return try readWhole(file.descriptor, size: file.size, path: url.path)
    }

    /// What ``openFile(_:)`` found at a path.
    enum OpenedFile {
        /// A regular file, open for reading, and its size.
        case opened(descriptor: Int32, size: Int64)
        /// No regular file: nothing there, a symlink, a FIFO, a folder, or a file where a
        /// folder on the way should be.
        case absent
        /// The file could not be opened or examined for another reason (no descriptors left,
        /// permission denied, an I/O error).
        case failed(StoreError)
    }

    /// Opens `path` for reading without following a symlink (`O_NOFOLLOW`) or waiting on a
    /// FIFO (`O_NONBLOCK`), and requires a regular file (`fstat` of the descriptor).
    static func openFile(_ path: String) -> OpenedFile {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            return [ENOENT, ENOTDIR, ELOOP].contains(errno) ? .absent : .failed(ioError("open", path))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let error = ioError("stat", path)
            close(descriptor)
            return .failed(error)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            return .absent
        }
        return .opened(descriptor: descriptor, size: Int64(info.st_size))
    }

    /// ``openFile(_:)``, throwing: `.corruptBlob` when there is no regular file at `path` (a
    /// symlink is never followed), otherwise an error worded by `errno`.
    static func openRegularFile(_ path: String) throws -> (descriptor: Int32, size: Int64) {
        switch openFile(path) {
        case .opened(let descriptor, let size): return (descriptor, size)
        case .absent: throw StoreError(.corruptBlob, "There is no regular file at \(path) (it is missing, a symbolic link or not a file); repair the store.")
        case .failed(let error): throw error
        }
    }

    /// Reads from `descriptor` until end of file; `size` (from `fstat`) is the expected length.
    static func readWhole(_ descriptor: Int32, size: Int64, path: String) throws -> Data {
        var data = Data(count: Int(max(size, 0)))
        var offset = 0
        while offset < data.count {
            let wanted = data.count - offset
            let got = data.withUnsafeMutableBytes { buffer in Glibc.read(descriptor, buffer.baseAddress! + offset, wanted) }
            if got < 0 {
                if errno == EINTR { continue }
                throw ioError("read", path)
            }
            if got == 0 { break }
            offset += got
        }
        data.count = offset
        // A file that grew after fstat: read the rest too.
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while offset == Int(max(size, 0)) {
            let got = chunk.withUnsafeMutableBytes { buffer in Glibc.read(descriptor, buffer.baseAddress!, buffer.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw ioError("read", path)
            }
            if got == 0 { break }
            data.append(contentsOf: chunk[..<got])
        }
        return data
    }

    /// Every file under the root: blobs (with their hash) and temporary files.
    public func enumerateFiles() -> [StoredFile] {
        let manager = FileManager.default
        guard let shards = try? manager.contentsOfDirectory(atPath: root.path) else { return [] }
        var files: [StoredFile] = []
        for shard in shards.sorted() where shard.count == 2 {
            let folder = root.appendingPathComponent(shard, isDirectory: true)
            guard let names = try? manager.contentsOfDirectory(atPath: folder.path) else { continue }
            for name in names.sorted() {
                let url = folder.appendingPathComponent(name)
                var info = stat()
                guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
                files.append(StoredFile(url: url, hash: ContentHash(hex: shard + name), size: Int64(info.st_size), modified: modified))
            }
        }
        return files
    }

    /// A file found under the blob root.
    public struct StoredFile: Sendable {
        public var url: URL
        /// The hash its path names, or `nil` for a temporary or foreign file.
        public var hash: ContentHash?
        public var size: Int64
        public var modified: Date
    }

    // MARK: - Writing

    private func createShard(for destination: URL) throws {
        let folder = destination.deletingLastPathComponent()
        for path in [rootPath, folder.path] where mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw Self.ioError("create the folder", path)
        }
    }

    /// The error for a blob whose file is not there (or not a regular file).
    private static func missing(_ hash: ContentHash) -> StoreError {
        StoreError(.corruptBlob, "Blob \(hash.hex) is missing from the store; repair the store and extract again.")
    }

    /// The error for a failed system call on `path`, worded by the current `errno`.
    static func ioError(_ operation: String, _ path: String) -> StoreError {
        StoreError.system(operation, path, errno: errno)
    }
}
