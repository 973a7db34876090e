import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A store folder: blob files plus the SQLite catalog that describes them.
///
/// ```swift
/// let store = try Store(at: StoreLocation.resolve(explicit: nil))
/// print(try store.stats().entries)
/// ```
///
/// Layout: `catalog.sqlite` (WAL), `blobs/ab/cdef…`, `tmp/` for downloads in progress,
/// `locks/` for single-flight, `quarantine/` for blobs that failed verification, and
/// `shared-outbox/` for answers made during a shared-tier outage that wait to be published.
///
/// - Important: `Store` is `Sendable`. Several processes may open the same folder at once.
public final class Store: Sendable {
    public let root: URL
    public let blobs: BlobStore
    public let catalog: Catalog
    private let pendingHits = Mutex(PendingHits())
    /// Writes hit bookkeeping, one batch at a time, off the callers' threads.
    private let hitWriter = DispatchQueue(label: "assets.store.hits")

    struct PendingHits {
        var counts: [ContentHash: Int64] = [:]
        var creditsSaved: Int64 = 0
        var lastFlush = ContinuousClock.now
        /// Whether a batch is queued for ``Store/hitWriter``.
        var writeScheduled = false
    }

    /// The folder where each answer made while the shared tier was down is marked by an empty
    /// file named by its action key, until it is published.
    public var sharedOutbox: URL { root.appendingPathComponent("shared-outbox", isDirectory: true) }

    /// The action keys marked in ``sharedOutbox``: the answers that wait to be published.
    public func sharedOutboxMarks() -> [ContentHash] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sharedOutbox.path)) ?? []
        return names.compactMap(ContentHash.init(hex:))
    }

    /// How long hit bookkeeping may wait in memory before it is written.
    public static let hitFlushInterval: Duration = .seconds(1)

    /// Opens the store at `root`, creating it on first use.
    ///
    /// - Throws: ``StoreError`` with one sentence saying what is wrong with the folder.
    public convenience init(at root: URL) throws {
        try self.init(at: root, readOnly: false)
    }

    /// Opens the store at `root`: for writing (creating it on first use), or read-only.
    ///
    /// - Parameter readOnly: open an existing store without ever writing to it: nothing is
    ///   created, hits are not counted, and `gc` or `verify(repair: true)` throw
    ///   ``StoreError`` `.readOnly`. `stats`, `list` and `verify` work on a store whose folder
    ///   and files cannot be written (another user's, or a read-only mount).
    /// - Throws: ``StoreError`` with one sentence saying what is wrong with the folder.
    public init(at root: URL, readOnly: Bool) throws {
        self.root = root
        if readOnly {
            var info = stat()
            guard stat(root.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw StoreError(.unusableLocation, "There is no store folder at \(root.path); use the folder of an existing store.")
            }
        } else {
            try Self.prepareFolder(root)
            for name in ["blobs", "tmp", "locks"] {
                try Self.prepareFolder(root.appendingPathComponent(name, isDirectory: true))
            }
        }
        blobs = BlobStore(root: root.appendingPathComponent("blobs", isDirectory: true))
        catalog = try Catalog(url: root.appendingPathComponent("catalog.sqlite"), readOnly: readOnly)
    }

    /// Whether the store was opened read-only (see ``init(at:readOnly:)``).
    public var isReadOnly: Bool { catalog.isReadOnly }

    /// Whether this process cannot write the existing store at `root` (its folder or its
    /// catalog file is not writable), so that only a read-only open can inspect it.
    public static func isUnwritable(_ root: URL) -> Bool {
        let catalog = root.appendingPathComponent("catalog.sqlite").path
        guard FileManager.default.fileExists(atPath: catalog) else { return false }
        return access(root.path, W_OK) != 0 || access(catalog, W_OK) != 0
    }

    deinit {
        // No batch can be in flight: a running one holds a reference to the store.
        try? writePendingHits()
    }

    /// The folder for downloads in progress: on the same file system as the blobs, so that a
    /// finished download is renamed into place, not copied.
    public var temporaryFolder: URL { root.appendingPathComponent("tmp", isDirectory: true) }

    /// The folder of single-flight lock files.
    public var locksFolder: URL { root.appendingPathComponent("locks", isDirectory: true) }

    /// Notes a hit on `actionKey`. Written in batches (see ``hitFlushInterval``) or at ``flushHits()``.
    ///
    /// A batch that is due is written on a queue of the store's own, so a hit never waits for a
    /// write transaction (nor for another process holding the catalog's write lock), and a
    /// failed write keeps its counts for the next batch.
    public func recordHit(_ actionKey: ContentHash, savedCredit: Bool) throws {
        guard !isReadOnly else { return }
        let due = pendingHits.withLock { pending -> Bool in
            pending.counts[actionKey, default: 0] += 1
            if savedCredit { pending.creditsSaved += 1 }
            guard !pending.writeScheduled, pending.lastFlush.duration(to: .now) >= Self.hitFlushInterval else { return false }
            pending.writeScheduled = true
            return true
        }
        if due {
            hitWriter.async { [weak self] in try? self?.writePendingHits() }
        }
    }

    /// Writes the hit bookkeeping held in memory, after any batch already on its way.
    public func flushHits() throws {
        try hitWriter.sync { try writePendingHits() }
    }

    private func writePendingHits() throws {
        let batch = pendingHits.withLock { pending -> PendingHits in
            let batch = pending
            pending = PendingHits()
            return batch
        }
        guard !batch.counts.isEmpty else { return }
        do {
            try catalog.recordHits(batch.counts, creditsSaved: batch.creditsSaved)
        } catch {
            // Put them back: a busy catalog must not lose counts that a later flush can write.
            pendingHits.withLock { pending in
                for (key, count) in batch.counts { pending.counts[key, default: 0] += count }
                pending.creditsSaved += batch.creditsSaved
            }
            throw error
        }
    }

    /// `mkdir -p`, returning the failure's reason, if any.
    private static func makeDirectories(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                return "\(prefix): \(String(cString: strerror(errno)).lowercased())"
            }
            var info = stat()
            if stat(prefix, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR {
                return "\(prefix) is a file, not a folder"
            }
        }
        return nil
    }

    private static func prepareFolder(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw StoreError(.unusableLocation, "Cannot use \(url.path) as a store: it is a file, not a folder; use a folder instead.")
            }
        } else if let reason = makeDirectories(url.path) {
            throw StoreError(.unusableLocation, "Cannot create the store folder \(url.path): \(reason); use a writable folder.")
        }
        guard access(url.path, R_OK | W_OK | X_OK) == 0 else {
            throw StoreError(.unusableLocation, "Cannot use \(url.path) as a store: it is not writable; use a writable folder.")
        }
    }
}
