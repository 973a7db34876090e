import AssetStore
import Foundation
import PostgresNIO

extension PostgresCatalog {
    /// What the catalog holds, fleet-wide. `chargedNamespace` is the namespace whose answers
    /// cost a credit each (the real API's); only its shared hits count as credits saved.
    public func stats(chargedNamespace: String) async throws -> SharedStats {
        try await call("read its statistics") { [logger] client in
            let row = try await client.query("""
                SELECT
                    (SELECT count(*) FROM assets_shared_extractions),
                    (SELECT count(DISTINCT blob_key) FROM assets_shared_elements),
                    (SELECT coalesce(sum(blob_size), 0)::bigint FROM (SELECT DISTINCT ON (blob_key) blob_size FROM assets_shared_elements) b),
                    (SELECT count(*) FROM assets_shared_paid_calls),
                    (SELECT coalesce(sum(shared_hits), 0)::bigint FROM assets_shared_extractions),
                    (SELECT coalesce(sum(shared_hits), 0)::bigint FROM assets_shared_extractions WHERE namespace = \(chargedNamespace) AND state = 'ok'),
                    (SELECT coalesce(sum(n - 1), 0)::bigint FROM (
                        SELECT count(*) AS n FROM assets_shared_paid_calls
                        WHERE outcome IN ('answered', 'refused') GROUP BY action_key HAVING count(*) > 1) d),
                    (SELECT count(*) FROM assets_shared_leases)
                """, logger: logger).collect()
            guard let row = row.first else { throw SharedTierError(.transient, code: SharedTierError.unavailableCode, "The shared catalog gave no statistics; try again.") }
            let (entries, blobs, bytes, calls, saved, credits, double, leases) = try row.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
            return SharedStats(entries: entries, blobs: blobs, bytes: bytes, paidCalls: calls, callsSaved: saved, creditsSaved: credits, doublePaid: double, leases: leases)
        }
    }

    /// Deletes the answers unused for `age` (last answered, or made, longer ago); the ledger
    /// keeps their calls. Their objects stay until ``SharedStorage/collectGarbage(olderThan:grace:dryRun:)``
    /// finds no row referencing them.
    ///
    /// - Returns: how many answers were deleted (or would be, with `dryRun`).
    public func removeEntries(unusedFor age: Duration, dryRun: Bool) async throws -> Int {
        let seconds = age.seconds
        return try await call("remove old answers") { [logger] client in
            if dryRun {
                let rows = try await client.query("""
                    SELECT count(*) FROM assets_shared_extractions WHERE last_used_at < now() - make_interval(secs => \(seconds))
                    """, logger: logger).collect()
                return Int(try rows.first?.decode(Int64.self) ?? 0)
            }
            let rows = try await client.query("""
                DELETE FROM assets_shared_extractions WHERE last_used_at < now() - make_interval(secs => \(seconds)) RETURNING 1
                """, logger: logger).collect()
            return rows.count
        }
    }

    /// Every blob some answer references.
    public func referencedBlobs() async throws -> Set<ContentHash> {
        try await call("list the referenced blobs") { [logger] client in
            var hashes: Set<ContentHash> = []
            for try await bytes in try await client.query("SELECT DISTINCT blob_key FROM assets_shared_elements", logger: logger).decode(Data.self) {
                if let hash = ContentHash(bytes: bytes) { hashes.insert(hash) }
            }
            return hashes
        }
    }
}

/// What ``SharedStorage/collectGarbage(olderThan:grace:dryRun:)`` did.
public struct SharedGCReport: Sendable, Hashable, Codable {
    /// Answers deleted from the catalog.
    public var entriesRemoved: Int
    /// Objects deleted from the bucket: referenced by no answer, and older than the grace period.
    public var objectsRemoved: Int
    /// Unreferenced objects kept because they are younger than the grace period.
    public var objectsKept: Int

    enum CodingKeys: String, CodingKey {
        case entriesRemoved = "entries_removed"
        case objectsRemoved = "objects_removed"
        case objectsKept = "objects_kept"
    }
}

extension SharedStorage {
    /// Removes the answers unused for `age`, then the objects no answer references that are
    /// older than ``Options/gcGrace`` (an owner uploads its objects before it writes its row,
    /// so a young unreferenced object may be one about to be referenced). Shared answers are
    /// never removed otherwise: each was paid for.
    ///
    /// - Parameter grace: instead of ``Options/gcGrace``.
    public func collectGarbage(olderThan age: Duration, grace: Duration? = nil, dryRun: Bool = false) async throws -> SharedGCReport {
        let entries = try await catalog.removeEntries(unusedFor: age, dryRun: dryRun)
        let referenced = try await catalog.referencedBlobs()
        let cutoff = Date().addingTimeInterval(-(grace ?? options.gcGrace).seconds)
        var removed = 0
        var kept = 0
        var cursor: S3BlobPage.Cursor?
        repeat {
            let page = try await bucket.list(after: cursor)
            for hash in page.hashes where !referenced.contains(hash) {
                guard let written = page.lastModified[hash], written < cutoff else {
                    kept += 1
                    continue
                }
                if !dryRun { try await bucket.delete(sha256: hash) }
                removed += 1
            }
            cursor = page.next
        } while cursor != nil
        return SharedGCReport(entriesRemoved: entries, objectsRemoved: removed, objectsKept: kept)
    }
}
