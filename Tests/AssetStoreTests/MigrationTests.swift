import AssetStore
import Foundation
import GRDB
import Testing
import TestSupport

@Suite struct MigrationTests {
    let folder = TemporaryDirectory("migrations")

    @Test func migrationFilesAreEmbeddedInOrder() throws {
        let names = Catalog.knownMigrations
        #expect(names.first == "0001_catalog")
        #expect(names == names.sorted())
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: Repository.root.appendingPathComponent("migrations").path)
            .filter { $0.hasSuffix(".sql") }.map { String($0.dropLast(4)) }.sorted()
        #expect(names == onDisk, "every migrations/*.sql file is embedded")
    }

    @Test func eachMigrationAppliesStepByStepOnAFreshDatabase() throws {
        let names = Catalog.knownMigrations
        for count in 1...names.count {
            let queue = try DatabaseQueue(path: folder.path("step-\(count).sqlite").path)
            let sqls = try names.prefix(count).map { name in
                try String(contentsOf: Repository.root.appendingPathComponent("migrations/\(name).sql"), encoding: .utf8)
            }
            try queue.write { db in
                for sql in sqls { try db.execute(sql: sql) }
            }
            let tables = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
            #expect(tables.contains("extractions"))
        }
        // The store's own migrator brings a new catalog to the latest step and records each one.
        let catalog = try Catalog(url: folder.path("catalog.sqlite"))
        #expect(try catalog.appliedMigrations() == names)
        // Opening again applies nothing twice.
        let reopened = try Catalog(url: folder.path("catalog.sqlite"))
        #expect(try reopened.appliedMigrations() == names)
    }

    @Test func aCatalogFromANewerAssetsIsRefusedAndLeftUntouched() throws {
        let url = folder.path("catalog.sqlite")
        _ = try Catalog(url: url)
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
            try db.execute(sql: "CREATE TABLE future (x)")
        }
        try queue.close()
        let before = try Data(contentsOf: url)

        do {
            _ = try Catalog(url: url)
            Issue.record("a newer catalog was opened")
        } catch let error as StoreError {
            #expect(error.kind == .newerCatalog)
            #expect(error.message.contains("newer"))
            #expect(error.message.contains("9999_from_the_future"))
        }
        #expect(try Data(contentsOf: url) == before)
    }

    @Test func aFileThatIsNotADatabaseIsRefusedWithAClearMessage() throws {
        let url = folder.path("catalog.sqlite")
        try Data("this is not sqlite, just text long enough to look like a header..................................".utf8).write(to: url)
        #expect {
            _ = try Catalog(url: url)
        } throws: { error in
            (error as? StoreError)?.kind == .corruptCatalog
        }
    }

    /// Databases of other programs: a table of their own; a table named like one of ours but
    /// no migrations; another GRDB app's migrations.
    static let foreignSchemas = [
        "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT); INSERT INTO photos (path) VALUES ('a.jpg')",
        "CREATE TABLE extractions (x); INSERT INTO extractions VALUES (1)",
        "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY); INSERT INTO grdb_migrations VALUES ('v1'); CREATE TABLE users (id)",
    ]

    @Test(arguments: foreignSchemas)
    func aForeignSQLiteDatabaseIsRefusedAndLeftByteForByteUntouched(_ schema: String) throws {
        let url = folder.path("catalog.sqlite")
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in try db.execute(sql: schema) }
        try queue.close()
        let before = try Data(contentsOf: url)

        #expect {
            _ = try Catalog(url: url)
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.kind == .foreignCatalog && error.message.contains("not an assets catalog") && error.message.contains("use another store folder") && !error.message.contains("--")
        }
        #expect(throws: StoreError.self) { _ = try Store(at: folder.url) }
        #expect(try Data(contentsOf: url) == before)
        #expect(!FileManager.default.fileExists(atPath: url.path + "-wal"), "not even switched to WAL")
        let tables = try DatabaseQueue(path: url.path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'blobs'")
        }
        #expect(tables.isEmpty, "no schema was added")
    }

    @Test func anEmptyFileOrATablelessDatabaseBecomesANewCatalog() throws {
        let empty = folder.path("empty.sqlite")
        try Data().write(to: empty)
        #expect(try Catalog(url: empty).appliedMigrations() == Catalog.knownMigrations)

        let tableless = folder.path("tableless.sqlite")
        let queue = try DatabaseQueue(path: tableless.path)
        try queue.write { db in try db.execute(sql: "PRAGMA user_version = 0") }
        try queue.close()
        #expect(try Catalog(url: tableless).appliedMigrations() == Catalog.knownMigrations)
    }

    @Test func aReadOnlyCatalogReadsAndRefusesWrites() throws {
        let url = folder.path("catalog.sqlite")
        let writable = try Catalog(url: url)
        try writable.increment([.hits: 3])
        let readOnly = try Catalog(url: url, readOnly: true)
        #expect(readOnly.isReadOnly)
        #expect(try readOnly.counters()[.hits] == 3)
        #expect {
            try readOnly.increment([.hits: 1])
        } throws: { error in
            (error as? StoreError)?.kind == .readOnly
        }
        #expect(throws: StoreError.self) { _ = try Catalog(url: folder.path("absent.sqlite"), readOnly: true) }
        #expect(!FileManager.default.fileExists(atPath: folder.path("absent.sqlite").path), "a read-only open creates nothing")
    }
}

@Suite struct FittedUploadMigrationTests {
    let folder = TemporaryDirectory("fitted-migration")

    @Test func aCatalogOfTheFirstSchemaKeepsItsEntriesAndGainsFittedUploads() throws {
        let url = folder.path("catalog.sqlite")
        // A catalog as the first release made it: only 0001 applied, one entry in it.
        let queue = try DatabaseQueue(path: url.path)
        let first = try String(contentsOf: Repository.root.appendingPathComponent("migrations/0001_catalog.sql"), encoding: .utf8)
        let oldKey = ContentHash.of("old action")
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: first)
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0001_catalog')")
            try db.execute(
                sql: """
                    INSERT INTO extractions (action_key, input_key, operation, options, namespace, state, error_code, error_message,
                                             input_size, created_at, last_used_at)
                    VALUES (?, ?, 'avatar-extraction', '', 'ailabtools', 'failed', 'ERROR_NO_FACE_IN_FILE', 'no face', 10, 1, 1)
                    """,
                arguments: [oldKey.bytes, ContentHash.of("old input").bytes]
            )
        }
        try queue.close()

        let catalog = try Catalog(url: url)
        #expect(try catalog.appliedMigrations() == Catalog.knownMigrations)
        let old = try #require(try catalog.entry(for: oldKey))
        #expect(old.errorCode == "ERROR_NO_FACE_IN_FILE")
        #expect(old.fitted == nil)

        // A fitted entry records what was sent.
        let fitted = FittedUpload(sha256: ContentHash.of("fitted bytes"), width: 1999, height: 1499)
        let identity = ExtractionIdentity(
            actionKey: ContentHash.of("new action"), inputKey: ContentHash.of("new input"), operation: "avatar-extraction",
            options: "", namespace: "mock", inputSize: 9_000_000, fitted: fitted
        )
        _ = try catalog.recordFailure(identity, code: "ERROR_NO_FACE_IN_FILE", message: "no face", requestID: nil, logID: nil)
        #expect(try catalog.entry(for: identity.actionKey)?.fitted == fitted)
        #expect(try Catalog(url: url).entry(for: identity.actionKey)?.fitted == fitted)
    }
}
