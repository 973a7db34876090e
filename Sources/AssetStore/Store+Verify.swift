import DurableFiles
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `verify` found, and what `--repair` did about it.
public struct VerifyReport: Sendable, Hashable, Codable {
    public var blobsChecked = 0
    public var entriesChecked = 0
    /// Blobs whose bytes no longer match their hash (or their recorded size).
    public var corruptBlobs: [String] = []
    /// Blobs the catalog lists but whose files are gone.
    public var missingBlobs: [String] = []
    /// Extractions (action keys) whose results cannot be served.
    public var brokenEntries: [String] = []
    /// Blob files the catalog does not know (crash leftovers; `gc` sweeps them after an hour).
    public var orphanFiles = 0
    public var repaired = false
    /// Corrupt blobs moved to `quarantine/`.
    public var quarantined: [String] = []
    /// Extractions removed, so that their inputs are fetched again next time.
    public var removedEntries = 0

    /// Catalog rows that cannot be read as what their table holds (see ``MalformedRow``).
    public var malformedRows: [MalformedRow] = []
    /// Malformed rows written to `quarantine/` as JSON and deleted.
    public var quarantinedRows = 0

    /// Whether nothing is wrong. Orphan files are not a fault.
    public var isClean: Bool { corruptBlobs.isEmpty && missingBlobs.isEmpty && brokenEntries.isEmpty && malformedRows.isEmpty }

    enum CodingKeys: String, CodingKey {
        case repaired, quarantined
        case blobsChecked = "blobs_checked"
        case entriesChecked = "entries_checked"
        case corruptBlobs = "corrupt_blobs"
        case missingBlobs = "missing_blobs"
        case brokenEntries = "broken_entries"
        case orphanFiles = "orphan_files"
        case removedEntries = "removed_entries"
        case malformedRows = "malformed_rows"
        case quarantinedRows = "quarantined_rows"
    }
}

/// The catalog as one read transaction saw it: what `verify` checks.
struct CatalogSnapshot {
    var entries: [CatalogEntry] = []
    var blobs: [(hash: ContentHash, size: Int64)] = []
    var blobKeys: Set<ContentHash> = []
    var malformed: [MalformedRow] = []

    /// Reads every entry, blob row and counter in `db`'s one transaction, setting malformed
    /// rows aside instead of trapping on them.
    init(_ db: Database) throws {
        (entries, malformed) = try Catalog.scanEntries(db)
        for row in try Row.fetchAll(db, sql: "SELECT key, size, created_at, last_used_at FROM blobs") {
            do throws(RowDecodingError) {
                let hash = try row.hash(0, "key")
                let size = try row.int64(1, "size")
                guard size >= 0 else { throw RowDecodingError(problem: "its size is \(size), below zero") }
                _ = try row.int64(2, "created_at")
                _ = try row.int64(3, "last_used_at")
                blobs.append((hash, size))
                blobKeys.insert(hash)
            } catch {
                malformed.append(MalformedRow(table: "blobs", row: row, problem: error.problem))
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counters") {
            do throws(RowDecodingError) {
                _ = try row.text(0, "name")
                _ = try row.int64(1, "value")
            } catch {
                malformed.append(MalformedRow(table: "counters", row: row, problem: error.problem))
            }
        }
    }
}

extension Store {
    /// Re-hashes every blob and checks every catalog row against its blobs.
    ///
    /// Safe beside a running server, `gc` and other writers: the blob rows and the entries
    /// are read in one read transaction (one snapshot), the files are hashed outside any
    /// transaction, and every suspect is checked again before it is reported: a blob whose row
    /// is gone since (gc removed it) or whose file is now whole is no fault. With `repair`,
    /// the removals happen in one write transaction that re-checks each suspect first (the
    /// row is still there, the file still bad, the entry still points at it and was created
    /// before this verify started), so an entry committed meanwhile is never removed.
    ///
    /// With `repair`, corrupt blobs are moved to `quarantine/`, rows that point at missing or
    /// corrupt blobs are removed (so those inputs are simply fetched again next time), and
    /// malformed rows are written to `quarantine/` as JSON and deleted.
    ///
    /// - Throws: ``StoreError`` `.readOnly` for `repair` on a store opened read-only.
    public func verify(repair: Bool = false) throws -> VerifyReport {
        if repair, catalog.isReadOnly {
            throw StoreError(.readOnly, "Cannot repair the store at \(root.path): it is read-only; repair it as a user who can write it.")
        }
        try flushHits()
        let started = Date().unixMilliseconds
        let snapshot = try catalog.read { db in try CatalogSnapshot(db) }

        // Hash outside any transaction: a long read would keep the WAL from being checkpointed.
        var suspects: [ContentHash: Bool] = [:]  // true: corrupt, false: missing
        for blob in snapshot.blobs {
            switch blobs.check(blob.hash, size: blob.size) {
            case .intact: break
            case .missing: suspects[blob.hash] = false
            case .corrupt: suspects[blob.hash] = true
            case .unreadable(let error): throw error
            }
        }
        let candidates = snapshot.entries.filter { entry in
            entry.state == .ok && entry.elements.contains { element in
                guard let key = element.blobKey else { return true }
                return suspects[key] != nil || !snapshot.blobKeys.contains(key)
            }
        }
        let unknownFiles = blobs.enumerateFiles().compactMap { file in file.hash.flatMap { snapshot.blobKeys.contains($0) ? nil : $0 } }

        var report = VerifyReport()
        report.blobsChecked = snapshot.blobs.count
        report.entriesChecked = snapshot.entries.count
        let confirm = { (db: Database) throws -> Confirmed in
            try self.confirm(db, suspects: suspects, candidates: candidates, malformed: snapshot.malformed, startedBefore: started)
        }
        let confirmed: Confirmed
        if repair && !(suspects.isEmpty && candidates.isEmpty && snapshot.malformed.isEmpty) {
            let quarantine = root.appendingPathComponent("quarantine", isDirectory: true)
            try FileManager.default.createDirectory(at: quarantine, withIntermediateDirectories: true)
            defer { catalog.noteRemoval() }
            confirmed = try catalog.write { db in
                let confirmed = try confirm(db)
                try self.remove(confirmed, in: db, quarantine: quarantine, report: &report)
                return confirmed
            }
            report.repaired = true
        } else {
            confirmed = try catalog.read(confirm)
        }
        report.corruptBlobs = confirmed.corrupt.map(\.hex).sorted()
        report.missingBlobs = confirmed.missing.map(\.hex).sorted()
        report.brokenEntries = confirmed.broken.map(\.actionKey.hex).sorted()
        report.malformedRows = confirmed.malformed
        report.orphanFiles = try catalog.read { db in
            try unknownFiles.filter { try !Bool.exists(db, blob: $0) }.count
        }
        return report
    }

    /// The faults that are still faults now, inside the caller's transaction.
    struct Confirmed {
        var corrupt: [ContentHash] = []
        var missing: [ContentHash] = []
        var broken: [CatalogEntry] = []
        var malformed: [MalformedRow] = []
    }

    /// Checks each suspect again in `db`: a blob whose row is gone or whose file is now whole
    /// is no fault; an entry is broken only if it is the same row as in the snapshot, created
    /// before `started`, still complete, and still points at a bad or unknown blob; a malformed
    /// row only if it still holds the same values.
    private func confirm(_ db: Database, suspects: [ContentHash: Bool], candidates: [CatalogEntry], malformed: [MalformedRow], startedBefore started: Int64) throws -> Confirmed {
        var confirmed = Confirmed()
        var bad = Set<ContentHash>()
        for hash in suspects.keys.sorted() {
            guard let value = try DatabaseValue.fetchOne(db, sql: "SELECT size FROM blobs WHERE key = ?", arguments: [hash.bytes]),
                  let size = Int64.fromDatabaseValue(value) else { continue }
            switch blobs.check(hash, size: size) {
            case .intact: continue
            case .missing: confirmed.missing.append(hash)
            case .corrupt: confirmed.corrupt.append(hash)
            case .unreadable(let error): throw error
            }
            bad.insert(hash)
        }
        for row in malformed {
            let (condition, arguments) = row.locator
            guard let current = try Row.fetchOne(db, sql: "SELECT * FROM \(row.table) WHERE \(condition)", arguments: arguments) else { continue }
            var values: [String: CatalogValue] = [:]
            for (name, value) in current { values[name] = CatalogValue(value) }
            // An extraction is reported with its own columns only; its elements' problem is in `problem`.
            if row.values.allSatisfy({ values[$0.key] == nil || values[$0.key] == $0.value }) {
                confirmed.malformed.append(row)
                // Its entries lose their blob with it: they are broken in the same repair.
                if row.table == "blobs", case .blob(let key)? = row.values["key"], let hash = ContentHash(bytes: key) { bad.insert(hash) }
            }
        }
        for entry in candidates {
            guard try Bool.fetchOne(db, sql: """
                SELECT 1 FROM extractions WHERE id = ? AND action_key = ? AND state = 'ok' AND created_at = ? AND created_at <= ?
                """, arguments: [entry.id, entry.actionKey.bytes, entry.createdAt.unixMilliseconds, started]) == true
            else { continue }
            let keys = try DatabaseValue.fetchAll(db, sql: "SELECT blob_key FROM elements WHERE extraction_id = ?", arguments: [entry.id])
            let isBroken = try keys.contains { value in
                guard let key = Data.fromDatabaseValue(value).flatMap(ContentHash.init(bytes:)) else { return true }
                return try bad.contains(key) || !Bool.exists(db, blob: key)
            }
            if isBroken { confirmed.broken.append(entry) }
        }
        return confirmed
    }

    /// Quarantines corrupt blobs and malformed rows and deletes what `confirmed` names, in the
    /// caller's write transaction.
    private func remove(_ confirmed: Confirmed, in db: Database, quarantine: URL, report: inout VerifyReport) throws {
        for hash in confirmed.corrupt {
            let target = quarantine.appendingPathComponent(hash.hex)
            unlink(target.path)
            do {
                try AtomicFile.move(blobs.url(for: hash), to: target)
                report.quarantined.append(hash.hex)
            } catch {
                blobs.remove(hash)
            }
        }
        for hash in confirmed.corrupt + confirmed.missing {
            try db.execute(sql: "DELETE FROM blobs WHERE key = ?", arguments: [hash.bytes])
            try db.execute(sql: "UPDATE extractions SET response_key = NULL WHERE response_key = ?", arguments: [hash.bytes])
        }
        for entry in confirmed.broken {
            try db.execute(sql: "DELETE FROM extractions WHERE id = ?", arguments: [entry.id])
            report.removedEntries += 1
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let stamp = Date().unixMilliseconds
        for (index, row) in confirmed.malformed.enumerated() {
            let file = quarantine.appendingPathComponent("row-\(row.table)-\(stamp)-\(index + 1).json")
            do {
                try AtomicFile.write(try encoder.encode(row), to: file, syncFile: true)
            } catch {
                let reason = (error as? AtomicFileError)?.reason.lowercased() ?? error.localizedDescription
                throw StoreError(.io, "Cannot write the malformed \(row.table) row \(row.identifier) to \(file.path): \(reason); free some disk space or check the store folder, then repair the store again.")
            }
            let (condition, arguments) = row.locator
            try db.execute(sql: "DELETE FROM \(row.table) WHERE \(condition)", arguments: arguments)
            if row.table == "extractions" { report.removedEntries += 1 }
            if row.table == "counters", case .text(let name)? = row.values["name"], StoreCounter(rawValue: name) != nil {
                try db.execute(sql: "INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", arguments: [name])
            }
            report.quarantinedRows += 1
        }
    }
}

extension Bool {
    /// Whether the catalog has a blob row for `key`.
    static func exists(_ db: Database, blob key: ContentHash) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM blobs WHERE key = ?", arguments: [key.bytes]) ?? false
    }
}
