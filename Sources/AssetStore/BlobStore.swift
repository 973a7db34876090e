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

    /// Whether the blob's file exists.
    public func contains(_ hash: ContentHash) -> Bool {
        var info = stat()
        return stat(path(for: hash), &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The size of the blob's file, or `nil` if it is missing.
    public func size(of hash: ContentHash) -> Int64? {
        var info = stat()
        guard stat(path(for: hash), &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Stores `data` and returns its hash. Existing blobs are not rewritten.
    @discardableResult
    public func put(_ data: Data) throws -> (hash: ContentHash, size: Int64) {
        let hash = ContentHash.of(data)
        if contains(hash) { return (hash, Int64(data.count)) }
        let temporary = try makeTemporaryFile(for: hash)
        do {
            try write(data, toDescriptor: temporary.descriptor, path: temporary.url.path)
            try finish(temporary, as: hash)
        } catch {
            unlink(temporary.url.path)
            throw error
        }
        return (hash, Int64(data.count))
    }

    /// Moves a finished file into the store, hashing it on the way, and returns its hash.
    ///
    /// The source file is consumed: renamed into place, or removed if the blob already exists.
    /// It should be on the same file system as the store (a download into the store's `tmp`
    /// folder is).
    @discardableResult
    public func put(fileAt source: URL) throws -> (hash: ContentHash, size: Int64) {
        let hash = try ContentHash.of(fileAt: source)
        let size = try Self.fileSize(source)
        if contains(hash) {
            try? FileManager.default.removeItem(at: source)
            return (hash, size)
        }
        let destination = url(for: hash)
        try createShard(for: destination)
        // fsync the source before the rename, so the renamed file is whole after a power cut.
        let descriptor = open(source.path, O_RDONLY)
        guard descriptor >= 0 else { throw Self.ioError("open", source.path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Self.ioError("fsync", source.path) }
        guard rename(source.path, destination.path) == 0 else {
            // A cross-device source: copy through a temporary file in the shard instead.
            if errno == EXDEV {
                let data = try Data(contentsOf: source)
                try put(data)
                try? FileManager.default.removeItem(at: source)
                return (hash, size)
            }
            throw Self.ioError("rename", destination.path)
        }
        syncDirectory(destination.deletingLastPathComponent())
        return (hash, size)
    }

    /// The blob's bytes. With `verify`, they are re-hashed and a mismatch throws.
    public func read(_ hash: ContentHash, verify: Bool = false) throws -> Data {
        let url = url(for: hash)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw StoreError(.corruptBlob, "Blob \(hash.hex) is missing from the store; run `assets cache verify --repair` and extract again.")
        }
        if verify, ContentHash.of(data) != hash {
            throw StoreError(.corruptBlob, "Blob \(hash.hex) does not match its hash; run `assets cache verify --repair` and extract again.")
        }
        return data
    }

    /// Re-hashes the blob's file. Returns `false` when it is missing or corrupt.
    public func isIntact(_ hash: ContentHash) -> Bool {
        (try? ContentHash.of(fileAt: url(for: hash))) == hash
    }

    /// Deletes the blob's file, if any.
    public func remove(_ hash: ContentHash) {
        unlink(path(for: hash))
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

    private struct TemporaryFile {
        var url: URL
        var descriptor: Int32
    }

    private func makeTemporaryFile(for hash: ContentHash) throws -> TemporaryFile {
        let destination = url(for: hash)
        try createShard(for: destination)
        let url = destination.deletingLastPathComponent()
            .appendingPathComponent(Self.temporaryPrefix + UUID().uuidString, isDirectory: false)
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.ioError("create", url.path) }
        return TemporaryFile(url: url, descriptor: descriptor)
    }

    private func write(_ data: Data, toDescriptor descriptor: Int32, path: String) throws {
        defer { close(descriptor) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Self.ioError("write", path)
                }
                offset += written
            }
        }
        guard fsync(descriptor) == 0 else { throw Self.ioError("fsync", path) }
    }

    private func finish(_ temporary: TemporaryFile, as hash: ContentHash) throws {
        let destination = url(for: hash)
        guard rename(temporary.url.path, destination.path) == 0 else { throw Self.ioError("rename", destination.path) }
        syncDirectory(destination.deletingLastPathComponent())
    }

    private func createShard(for destination: URL) throws {
        let folder = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.unusableLocation, "Cannot create \(folder.path): \(Self.reason(error)); check that the store folder is writable.")
        }
    }

    /// Makes a rename durable: the directory entry itself must reach the disk.
    private func syncDirectory(_ folder: URL) {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    static func fileSize(_ url: URL) throws -> Int64 {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw ioError("stat", url.path) }
        return Int64(info.st_size)
    }

    static func ioError(_ operation: String, _ path: String) -> StoreError {
        let reason = String(cString: strerror(errno))
        return StoreError(.io, "Cannot \(operation) \(path): \(reason); check the store folder's permissions and free space.")
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }
}
