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
    /// The size of the blobs left.
    public var remainingBytes: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case evictedEntries = "evicted_entries"
        case removedBlobs = "removed_blobs"
        case freedBytes = "freed_bytes"
        case sweptOrphans = "swept_orphans"
        case sweptTemporaryFiles = "swept_temporary_files"
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
    /// Orphan blob files and temporary files older than ``orphanGracePeriod`` are always swept.
    /// It is safe while other processes extract: everything runs in one write transaction, and
    /// writers place blob files only inside their own write transactions.
    @discardableResult
    public func gc(maxSize: Int64? = nil, olderThan: TimeInterval? = nil, now: Date = Date()) throws -> GCReport {
        try flushHits()
        let graceCutoff = now.addingTimeInterval(-Self.orphanGracePeriod)
        defer { catalog.noteRemoval() }
        return try catalog.write { db in
            var report = GCReport()
            if let olderThan {
                let cutoff = now.addingTimeInterval(-olderThan).unixMilliseconds
                try db.execute(sql: "DELETE FROM extractions WHERE last_used_at < ?", arguments: [cutoff])
                report.evictedEntries += db.changesCount
            }
            try removeUnreferencedBlobs(db, into: &report)

            if let maxSize {
                var total = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM blobs") ?? 0
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
                    try removeUnreferencedBlobs(db, into: &report)
                    total -= report.freedBytes - before
                }
            }

            try sweepFiles(db, olderThan: graceCutoff, into: &report)
            report.remainingBytes = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(size), 0) FROM blobs") ?? 0
            return report
        }
    }

    /// Deletes blob rows that no element and no response refers to, and their files.
    private func removeUnreferencedBlobs(_ db: Database, into report: inout GCReport) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT key, size FROM blobs
            WHERE key NOT IN (SELECT blob_key FROM elements WHERE blob_key IS NOT NULL)
              AND key NOT IN (SELECT response_key FROM extractions WHERE response_key IS NOT NULL)
            """)
        for row in rows {
            let key: Data = row["key"]
            try db.execute(sql: "DELETE FROM blobs WHERE key = ?", arguments: [key])
            if let hash = ContentHash(bytes: key) { blobs.remove(hash) }
            report.removedBlobs += 1
            report.freedBytes += row["size"]
        }
    }

    /// Removes blob files the catalog does not know and abandoned temporary files.
    private func sweepFiles(_ db: Database, olderThan cutoff: Date, into report: inout GCReport) throws {
        let known = Set(try Data.fetchAll(db, sql: "SELECT key FROM blobs"))
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
}
