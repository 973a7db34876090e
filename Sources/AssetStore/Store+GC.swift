import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `gc` did.
public struct GCReport: Sendable, Hashable, Codable {
    public var evictedEntries = 0
    public var removedBlobs = 0
    public var freedBytes: Int64 = 0
    public var sweptOrphans = 0
    public var sweptTemporaryFiles = 0
    /// Lock files in `locks/` that nobody held (left by a crash, or by an older assets).
    public var sweptLocks = 0
    /// The size of the blobs left.
    public var remainingBytes: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case evictedEntries = "evicted_entries"
        case removedBlobs = "removed_blobs"
        case freedBytes = "freed_bytes"
        case sweptOrphans = "swept_orphans"
        case sweptTemporaryFiles = "swept_temporary_files"
        case sweptLocks = "swept_locks"
        case remainingBytes = "remaining_bytes"
    }
}

extension Store {
    /// Files younger than this may belong to a write in progress and are never swept.
    public static let orphanGracePeriod: TimeInterval = 3600

    /// Evicts entries and sweeps leftovers.
    ///
    /// - Parameters:
    ///   - maxSize: evict least-recently-used extractions (and the blobs only they use) until
    ///     the blobs take at most this many bytes.
    ///   - olderThan: evict extractions not used for this long.
    /// - Returns: what was removed.
    ///
    /// Orphan blob files and temporary files older than ``orphanGracePeriod`` are always swept,
    /// and so are lock files nobody holds.
    ///
    /// The catalog change is committed first and files are deleted after: a crash or a full
    /// disk in between leaves orphan files, which the next gc sweeps, never a row without its
    /// file. The files are deleted inside a second write transaction that checks again that no
    /// writer has re-added their rows (writers place blob files only inside their own write
    /// transactions), so it is safe while other processes extract.
    ///
    /// - Throws: ``StoreError``; a failed commit (`.diskFull`) has deleted no file.
    @discardableResult
    public func gc(maxSize: Int64? = nil, olderThan: TimeInterval? = nil, now: Date = Date()) throws -> GCReport {
        guard !catalog.isReadOnly else {
            throw StoreError(.readOnly, "Cannot collect garbage in the store at \(root.path): it is read-only; collect garbage as a user who can write it.")
        }
        try flushHits()
        let graceCutoff = now.addingTimeInterval(-Self.orphanGracePeriod)
        defer { catalog.noteRemoval() }
        var report = GCReport()
        // 1. Rows only, committed before any file is touched.
        let removed = try catalog.write { db -> [ContentHash] in
            var removed: [ContentHash] = []
            if let olderThan {
                let cutoff = now.addingTimeInterval(-olderThan).unixMilliseconds
                try db.execute(sql: "DELETE FROM extractions WHERE last_used_at < ?", arguments: [cutoff])
                report.evictedEntries += db.changesCount
            }
            try removeUnreferencedBlobs(db, into: &report, removed: &removed)

            if let maxSize {
                var total = try Self.totalBlobBytes(db)
                let youngPending = graceCutoff.unixMilliseconds
                while total > maxSize {
                    // A young pending entry may be another process's download in progress.
                    guard let id = try Int64.fetchOne(db, sql: """
                        SELECT id FROM extractions WHERE NOT (state = 'pending' AND created_at >= ?)
                        ORDER BY last_used_at, id LIMIT 1
                        """, arguments: [youngPending])
                    else { break }
                    try db.execute(sql: "DELETE FROM extractions WHERE id = ?", arguments: [id])
                    report.evictedEntries += 1
                    let before = report.freedBytes
                    try removeUnreferencedBlobs(db, into: &report, removed: &removed)
                    total -= report.freedBytes - before
                }
            }
            return removed
        }
        // 2. Files, after the commit: only those whose rows no writer has added back since.
        try catalog.write { db in
            for hash in removed where try !Bool.exists(db, blob: hash) {
                blobs.remove(hash)
            }
            try sweepFiles(db, olderThan: graceCutoff, into: &report)
            report.remainingBytes = try Self.totalBlobBytes(db)
        }
        report.sweptLocks = sweepLocks()
        return report
    }

    /// The size of every blob the catalog lists (a malformed size counts as nothing).
    private static func totalBlobBytes(_ db: Database) throws -> Int64 {
        let value = try DatabaseValue.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM blobs WHERE typeof(size) = 'integer'")
        return value.flatMap(Int64.fromDatabaseValue) ?? 0
    }

    /// Deletes blob rows that no element and no response refers to; their files are deleted
    /// only after the commit (see ``gc(maxSize:olderThan:now:)``).
    private func removeUnreferencedBlobs(_ db: Database, into report: inout GCReport, removed: inout [ContentHash]) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT key, size FROM blobs
            WHERE key NOT IN (SELECT blob_key FROM elements WHERE blob_key IS NOT NULL)
              AND key NOT IN (SELECT response_key FROM extractions WHERE response_key IS NOT NULL)
            """)
        for row in rows {
            let key: DatabaseValue = row[0]
            try db.execute(sql: "DELETE FROM blobs WHERE key IS ?", arguments: [key])
            if let hash = Data.fromDatabaseValue(key).flatMap(ContentHash.init(bytes:)) { removed.append(hash) }
            report.removedBlobs += 1
            report.freedBytes += Int64.fromDatabaseValue(row[1] as DatabaseValue) ?? 0
        }
    }

    /// Removes blob files the catalog does not know and abandoned temporary files.
    private func sweepFiles(_ db: Database, olderThan cutoff: Date, into report: inout GCReport) throws {
        let known = Set(try DatabaseValue.fetchAll(db, sql: "SELECT key FROM blobs").compactMap { Data.fromDatabaseValue($0) })
        for file in blobs.enumerateFiles() where file.modified < cutoff {
            if let hash = file.hash {
                guard !known.contains(hash.bytes) else { continue }
                unlink(file.url.path)
                report.sweptOrphans += 1
            } else if file.url.lastPathComponent.hasPrefix(BlobStore.temporaryPrefix) {
                unlink(file.url.path)
                report.sweptTemporaryFiles += 1
            }
        }
        let temporary = temporaryFolder
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] {
            let path = temporary.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                  Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec)) < cutoff else { continue }
            unlink(path)
            report.sweptTemporaryFiles += 1
        }
    }

    /// Removes the lock files in `locks/` that nobody holds, each while holding its lock (see
    /// ``FileLock/release()``), so a process waiting on one is never fooled. Returns how many.
    func sweepLocks() -> Int {
        let folder = locksFolder
        var swept = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasSuffix(".lock") {
            guard let lock = try? FileLock(url: folder.appendingPathComponent(name)), (try? lock.tryLock()) == true else { continue }
            lock.release()
            swept += 1
        }
        return swept
    }
}
