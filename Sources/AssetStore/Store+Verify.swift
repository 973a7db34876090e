import Foundation
import GRDB

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

    /// Whether nothing is wrong. Orphan files are not a fault.
    public var isClean: Bool { corruptBlobs.isEmpty && missingBlobs.isEmpty && brokenEntries.isEmpty }

    enum CodingKeys: String, CodingKey {
        case repaired, quarantined
        case blobsChecked = "blobs_checked"
        case entriesChecked = "entries_checked"
        case corruptBlobs = "corrupt_blobs"
        case missingBlobs = "missing_blobs"
        case brokenEntries = "broken_entries"
        case orphanFiles = "orphan_files"
        case removedEntries = "removed_entries"
    }
}

extension Store {
    /// Re-hashes every blob and checks every catalog row against its blobs.
    ///
    /// With `repair`, corrupt blobs are moved to `quarantine/`, and rows that point at missing
    /// or corrupt blobs are removed, so that those inputs are simply fetched again next time.
    public func verify(repair: Bool = false) throws -> VerifyReport {
        try flushHits()
        var report = VerifyReport()
        let rows = try catalog.read { db in try Row.fetchAll(db, sql: "SELECT key, size FROM blobs") }
        var bad = Set<Data>()
        for row in rows {
            let key: Data = row["key"]
            guard let hash = ContentHash(bytes: key) else { continue }
            report.blobsChecked += 1
            guard let size = blobs.size(of: hash) else {
                report.missingBlobs.append(hash.hex)
                bad.insert(key)
                continue
            }
            if size != (row["size"] as Int64) || !blobs.isIntact(hash) {
                report.corruptBlobs.append(hash.hex)
                bad.insert(key)
            }
        }
        let known = Set(rows.map { $0["key"] as Data })
        report.orphanFiles = blobs.enumerateFiles().filter { file in file.hash.map { !known.contains($0.bytes) } ?? false }.count

        let entries = try catalog.allEntries()
        report.entriesChecked = entries.count
        let broken = entries.filter { entry in
            entry.state == .ok && entry.elements.contains { element in
                guard let key = element.blobKey?.bytes else { return true }
                return bad.contains(key) || !known.contains(key)
            }
        }
        report.brokenEntries = broken.map(\.actionKey.hex).sorted()
        guard repair, !report.isClean else { return report }

        let quarantine = root.appendingPathComponent("quarantine", isDirectory: true)
        try FileManager.default.createDirectory(at: quarantine, withIntermediateDirectories: true)
        defer { catalog.noteRemoval() }
        try catalog.write { db in
            for hex in report.corruptBlobs {
                guard let hash = ContentHash(hex: hex) else { continue }
                let target = quarantine.appendingPathComponent(hex)
                try? FileManager.default.removeItem(at: target)
                if (try? FileManager.default.moveItem(at: blobs.url(for: hash), to: target)) != nil {
                    report.quarantined.append(hex)
                } else {
                    blobs.remove(hash)
                }
            }
            for key in bad {
                try db.execute(sql: "DELETE FROM blobs WHERE key = ?", arguments: [key])
                try db.execute(sql: "UPDATE extractions SET response_key = NULL WHERE response_key = ?", arguments: [key])
            }
            for entry in broken {
                try db.execute(sql: "DELETE FROM extractions WHERE id = ?", arguments: [entry.id])
                report.removedEntries += 1
            }
        }
        report.repaired = true
        return report
    }
}
