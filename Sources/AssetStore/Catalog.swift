import Foundation
import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite catalog: extractions, their elements, blobs and counters.
///
/// A GRDB `DatabasePool` in WAL mode with a busy timeout, so that several processes can
/// share one store: readers never wait, and writers (immediate transactions) queue.
///
/// - Important: `Catalog` is `Sendable`; every method may be called from any task.
public final class Catalog: Sendable {
    let pool: DatabasePool
    public let url: URL
    /// Whether the catalog was opened read-only: every write throws ``StoreError`` `.readOnly`.
    public let isReadOnly: Bool
    private let removals = Atomic<Int>(0)

    /// Opens the catalog at `url`, creating and migrating it as needed.
    ///
    /// A file that is empty (zero bytes, or a database without tables) becomes a new catalog.
    /// Any other database is looked at through a read-only connection before anything is
    /// written, and refused, byte for byte untouched, when it is not an assets catalog or was
    /// migrated by a newer assets.
    ///
    /// - Throws: ``StoreError`` with `.newerCatalog` when a newer `assets` migrated it,
    ///   `.foreignCatalog` when it is another program's database, `.corruptCatalog` when it is
    ///   not a database.
    public convenience init(url: URL) throws {
        try self.init(url: url, readOnly: false)
    }

    /// Opens the catalog at `url`, for writing (see ``init(url:)``) or read-only.
    ///
    /// - Parameter readOnly: open without ever writing: no schema is created or migrated, and
    ///   every write throws. Works on a catalog whose file and folder are not writable (a WAL
    ///   catalog without its `-shm` file is then read as immutable).
    public init(url: URL, readOnly: Bool) throws {
        self.url = url
        isReadOnly = readOnly
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "assets.catalog"
        configuration.readonly = readOnly
        configuration.prepareDatabase { db in
            // A crash may lose the last few hit counts, never a committed result: results are
            // committed with FULL, bookkeeping with NORMAL (see `flushHits`).
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA synchronous = FULL") }
            // Reads go through a memory map rather than a read() per page into SQLite's small
            // page cache: at a million entries (about 460 MB) a lookup's B-tree pages then cost
            // what they cost in a small catalog, give or take the CPU cache.
            try db.execute(sql: "PRAGMA mmap_size = \(Self.mappedBytes)")
        }
        do {
            if readOnly {
                pool = try Self.openReadOnly(url, configuration: configuration)
                switch try Self.inspect(pool, url: url) {
                case .current:
                    break
                case .empty, .behind:
                    throw StoreError(.readOnly, "The store catalog \(url.path) needs to be created or upgraded, which a read-only store cannot do; open it once with write access to the store.")
                }
                return
            }
            // Look before touching: a catalog from a newer assets, or another program's
            // database, is refused through a read-only connection, which cannot checkpoint or
            // otherwise change the file. The same look tells whether there is anything to
            // migrate; usually there is not, and opening is then read-only work.
            var state = CatalogState.empty
            if Self.fileSize(url) > 0 {
                do {
                    state = try Self.inspectFile(url)
                } catch is DatabaseError {
                    // Another process may be creating this catalog right now (a read-only
                    // connection cannot open a WAL database whose -shm file is not there yet):
                    // take the locked path below, which waits for it.
                    state = .behind
                }
            }
            if state == .current {
                pool = try DatabasePool(path: url.path, configuration: configuration)
            } else {
                // Two processes opening a new store at once must not both create the schema.
                let lock = try FileLock(url: url.appendingPathExtension("lock"))
                try lock.lock()
                defer { lock.unlock() }
                if Self.fileSize(url) > 0 {
                    do {
                        _ = try Self.inspectFile(url)
                    } catch is DatabaseError {
                        // No -shm file and none can be made read-only: look through a
                        // read-write connection, which still writes nothing.
                        let queue = try DatabaseQueue(path: url.path)
                        defer { try? queue.close() }
                        _ = try Self.inspect(queue, url: url)
                    }
                }
                pool = try DatabasePool(path: url.path, configuration: configuration)
                try Self.migrator.migrate(pool)
            }
        } catch let error as DatabaseError {
            throw Self.storeError(error, url: url)
        }
    }

    /// The size of the file at `url`, or 0 if there is none.
    private static func fileSize(_ url: URL) -> Int64 {
        var info = stat()
        return stat(url.path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// A read-only pool on `url`: a plain read-only connection when SQLite can use (or create)
    /// the WAL index, else the file read as immutable, which a folder nobody may write needs.
    private static func openReadOnly(_ url: URL, configuration: Configuration) throws -> DatabasePool {
        guard fileSize(url) > 0 || FileManager.default.fileExists(atPath: url.path) else {
            throw StoreError(.unusableLocation, "There is no store catalog at \(url.path); use the folder of an existing store.")
        }
        do {
            let pool = try DatabasePool(path: url.path, configuration: configuration)
            _ = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            return pool
        } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode) {
            var components = URLComponents()
            components.scheme = "file"
            components.path = url.path
            components.queryItems = [URLQueryItem(name: "immutable", value: "1")]
            let pool = try DatabasePool(path: components.string ?? url.path, configuration: configuration)
            _ = try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            return pool
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

    /// What ``inspect(_:url:)`` found in a database file.
    enum CatalogState {
        /// No tables: a new file, or one whose creation was interrupted. It may be initialised.
        case empty
        /// An assets catalog with every known migration applied.
        case current
        /// An assets catalog that lacks some known migrations.
        case behind
    }

    /// The tables an assets catalog holds (and GRDB's record of migrations).
    static let ownTables: Set<String> = ["extractions", "elements", "blobs", "counters", "spend", "grdb_migrations"]

    /// ``inspect(_:url:)`` through a read-only connection of its own.
    private static func inspectFile(_ url: URL) throws -> CatalogState {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        let queue = try DatabaseQueue(path: url.path, configuration: configuration)
        defer { try? queue.close() }
        return try inspect(queue, url: url)
    }

    /// Tells an assets catalog from an empty file and from another program's database.
    ///
    /// - Throws: ``StoreError`` `.foreignCatalog` for a database with tables that is not an
    ///   assets catalog, `.newerCatalog` for one with migrations this build does not know.
    private static func inspect(_ reader: some DatabaseReader, url: URL) throws -> CatalogState {
        let (tables, objects, applied) = try reader.read { db -> ([String], Int, [String]) in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            let objects = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            let applied = tables.contains("grdb_migrations")
                ? try String.fetchAll(db, sql: "SELECT CAST(identifier AS TEXT) FROM grdb_migrations WHERE identifier IS NOT NULL")
                : []
            return (tables, objects, applied)
        }
        if objects == 0 { return .empty }
        let known = Self.knownMigrations
        if let first = known.first, applied.contains(first) {
            let unknown = Set(applied).subtracting(known).sorted()
            if !unknown.isEmpty {
                throw StoreError(
                    .newerCatalog,
                    "The store catalog \(url.path) was written by a newer assets (it has migration \(unknown.joined(separator: ", ")), unknown to this version); upgrade assets or use another store folder."
                )
            }
            return Set(known).isSubset(of: applied) ? .current : .behind
        }
        // GRDB creates its table of migrations first: alone and empty, it is an interrupted start.
        if tables == ["grdb_migrations"], applied.isEmpty { return .empty }
        let foreign = tables.filter { !ownTables.contains($0) }
        let named = (foreign.isEmpty ? tables : foreign).prefix(3).joined(separator: ", ")
        throw StoreError(.foreignCatalog, "\(url.path) is a SQLite database but not an assets catalog (it holds \(named.isEmpty ? "no assets tables" : "tables " + named)); move it aside or use another store folder.")
    }

    /// A SQLite failure as one sentence that says what to do: a full disk says to free space
    /// (never to run gc, which needs space to commit), a lack of file descriptors says so
    /// instead of blaming permissions.
    static func storeError(_ error: DatabaseError, url: URL) -> StoreError {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return StoreError(.corruptCatalog, "The store catalog \(url.path) is not a valid database; move it aside and run again to start a new catalog.")
        case .SQLITE_FULL:
            return StoreError(.diskFull, "The disk holding the store catalog \(url.path) is full; free some disk space and try again.")
        case .SQLITE_READONLY:
            return StoreError(.readOnly, "The store catalog \(url.path) cannot be written (it, its folder or its disk is read-only); run this as a user who can write the store, or use another store folder.")
        case .SQLITE_CANTOPEN where StoreError.descriptorsExhausted(), .SQLITE_IOERR where StoreError.descriptorsExhausted():
            return StoreError(.tooManyOpenFiles, "Cannot open the store catalog \(url.path): too many open files; raise the open-file limit (ulimit -n) or run fewer jobs at once.")
        case .SQLITE_CANTOPEN:
            return StoreError(.unusableLocation, "Cannot open the store catalog \(url.path); check that its folder exists and can be read and written and that the open-file limit (ulimit -n) is not reached, or use another store folder.")
        case .SQLITE_PERM, .SQLITE_AUTH:
            return StoreError(.permissionDenied, "Cannot open the store catalog \(url.path): permission denied; check the folder's permissions or use another store folder.")
        default:
            return StoreError(.io, "The store catalog \(url.path) failed: \(error.message ?? "\(error.resultCode)"); try again, or verify the store.")
        }
    }

    /// What a write on a read-only catalog throws.
    var readOnlyError: StoreError {
        StoreError(.readOnly, "The store at \(url.deletingLastPathComponent().path) was opened read-only; run this as a user who can write the store, or use another store folder.")
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
        guard !isReadOnly else { throw readOnlyError }
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
