import Foundation
import GRDB
import Synchronization

/// The SQLite catalog: extractions, their elements, blobs and counters.
///
/// A GRDB `DatabasePool` in WAL mode with a busy timeout, so that several processes can
/// share one store: readers never wait, and writers (immediate transactions) queue.
///
/// - Important: `Catalog` is `Sendable`; every method may be called from any task.
public final class Catalog: Sendable {
    let pool: DatabasePool
    public let url: URL
    private let removals = Atomic<Int>(0)

    /// Opens the catalog at `url`, creating and migrating it as needed.
    ///
    /// - Throws: ``StoreError`` with `.newerCatalog` when a newer `assets` migrated it (the file
    ///   is then left untouched), `.corruptCatalog` when it is not a database.
    public init(url: URL) throws {
        self.url = url
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "assets.catalog"
        configuration.prepareDatabase { db in
            // A crash may lose the last few hit counts, never a committed result: results are
            // committed with FULL, bookkeeping with NORMAL (see `flushHits`).
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Reads go through a memory map rather than a read() per page into SQLite's small
            // page cache: at a million entries (about 460 MB) a lookup's B-tree pages then cost
            // what they cost in a small catalog, give or take the CPU cache.
            try db.execute(sql: "PRAGMA mmap_size = \(Self.mappedBytes)")
        }
        do {
            // Look before touching: a catalog from a newer assets is refused through a read-only
            // connection, which cannot checkpoint or otherwise change the file. The same look
            // tells whether there is anything to migrate; usually there is not, and opening is
            // then read-only work.
            var upToDate = false
            if FileManager.default.fileExists(atPath: url.path) {
                do {
                    upToDate = try Self.inspect(url)
                } catch is DatabaseError {
                    // Another process may be creating this catalog right now (a read-only
                    // connection cannot open a WAL database whose -shm file is not there yet):
                    // take the locked path below, which waits for it.
                }
            }
            if upToDate {
                pool = try DatabasePool(path: url.path, configuration: configuration)
            } else {
                // Two processes opening a new store at once must not both create the schema.
                let lock = try FileLock(url: url.appendingPathExtension("lock"))
                try lock.lock()
                defer { lock.unlock() }
                pool = try DatabasePool(path: url.path, configuration: configuration)
                if try pool.read({ try Self.migrator.hasBeenSuperseded($0) }) {
                    // inspect names the unknown migrations in its refusal.
                    _ = try Self.inspect(url)
                    throw StoreError(.newerCatalog, "The store catalog \(url.path) was written by a newer assets; upgrade assets or use another --store.")
                }
                try Self.migrator.migrate(pool)
            }
        } catch let error as DatabaseError {
            throw Self.storeError(error, url: url)
        }
    }

    /// The most of the catalog file SQLite maps: address space, not memory, whose pages are
    /// the system's file cache.
    static let mappedBytes = 1 << 30

    /// Every migration this build knows, by file name.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedMigrations.all {
            let sql = migration.sql
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: sql)
            }
        }
        return migrator
    }

    /// The migrations applied to this catalog, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// The names of the migrations embedded in this build.
    public static var knownMigrations: [String] {
        EmbeddedMigrations.all.map(\.name)
    }

    /// Refuses a catalog from a newer assets; returns whether every known migration is applied.
    private static func inspect(_ url: URL) throws -> Bool {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: url.path, configuration: configuration)
        defer { try? queue.close() }
        let migrator = Self.migrator
        let (unknown, complete) = try queue.read { db -> ([String], Bool) in
            guard try migrator.hasBeenSuperseded(db) else { return ([], try migrator.hasCompletedMigrations(db)) }
            return (try Array(migrator.appliedIdentifiers(db).subtracting(Self.knownMigrations)).sorted(), false)
        }
        if !unknown.isEmpty {
            throw StoreError(
                .newerCatalog,
                "The store catalog \(url.path) was written by a newer assets (it has migration \(unknown.joined(separator: ", ")), unknown to this version); upgrade assets or use another --store."
            )
        }
        return complete
    }

    static func storeError(_ error: DatabaseError, url: URL) -> StoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            StoreError(.corruptCatalog, "The store catalog \(url.path) is not a valid database; move it aside and run again to start a new catalog.")
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            StoreError(.unusableLocation, "Cannot open the store catalog \(url.path) for writing; check the folder's permissions or pass another --store.")
        case .SQLITE_FULL:
            StoreError(.io, "The disk holding \(url.path) is full; free some space or run `assets cache gc`.")
        default:
            StoreError(.io, "The store catalog \(url.path) failed: \(error.message ?? "\(error.resultCode)"); try again, or run `assets cache verify`.")
        }
    }

    /// How many times this catalog object removed extractions (`remove`, `gc`, `verify --repair`).
    ///
    /// Memory that holds entries (``Assets/AssetManager``'s recent answers) drops them when
    /// this changes. Removals by other processes are not counted here.
    public var removalCount: Int { removals.load(ordering: .acquiring) }

    /// Notes that extractions were removed; see ``removalCount``.
    func noteRemoval() {
        removals.add(1, ordering: .releasing)
    }

    /// Runs a write transaction, turning SQLite failures into ``StoreError``.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch let error as DatabaseError {
            throw Self.storeError(error, url: url)
        }
    }

    /// Runs a read without a transaction around it, for `body`s that run a single statement.
    func unisolatedRead<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.unsafeRead(body)
        } catch let error as DatabaseError {
            throw Self.storeError(error, url: url)
        }
    }

    /// Runs a read, turning SQLite failures into ``StoreError``.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as DatabaseError {
            throw Self.storeError(error, url: url)
        }
    }
}

extension Date {
    var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(unixMilliseconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(unixMilliseconds) / 1000) }
}
