import Foundation
import GRDB

/// A running total kept in the catalog since the store was made.
public enum StoreCounter: String, Sendable, CaseIterable {
    case hits
    case misses
    case upstreamCalls = "upstream_calls"
    case retries
    case bytesDownloaded = "bytes_downloaded"
    /// Hits on successful extractions: each would have been a billed call.
    case creditsSaved = "credits_saved"
}

extension Catalog {
    /// Adds `amount` to each counter given.
    ///
    /// Bookkeeping, written with `synchronous = NORMAL` like ``recordHits(_:creditsSaved:now:)``:
    /// a power cut may lose the last few counts (a process crash loses none), and the next FULL
    /// commit of a result makes them durable.
    public func increment(_ amounts: [StoreCounter: Int64]) throws {
        let nonZero = amounts.filter { $0.value != 0 }
        guard !nonZero.isEmpty else { return }
        try writeBookkeeping { db in
            for (counter, amount) in nonZero {
                try db.execute(
                    sql: "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                    arguments: [counter.rawValue, amount]
                )
            }
        }
    }

    /// One transaction of bookkeeping, committed without waiting for the disk.
    func writeBookkeeping(_ body: (Database) throws -> Void) throws {
        guard !isReadOnly else { throw readOnlyError }
        do {
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
                try db.inTransaction(.immediate) {
                    try body(db)
                    return .commit
                }
            }
        } catch let error as DatabaseError {
            throw Self.storeError(error, url: url)
        }
    }

    /// Every counter's value.
    public func counters() throws -> [StoreCounter: Int64] {
        try read { db in
            var values: [StoreCounter: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counters") {
                // A malformed counter reads as nothing (verify reports it) rather than stopping here.
                guard let name = String.fromDatabaseValue(row[0] as DatabaseValue), let counter = StoreCounter(rawValue: name),
                      let value = Int64.fromDatabaseValue(row[1] as DatabaseValue) else { continue }
                values[counter] = value
            }
            return values
        }
    }

    /// Records hits: bumps each entry's hit count and last-used time, and the hit counters.
    ///
    /// Written with `synchronous = NORMAL`: a crash may lose these few counts, which is cheaper
    /// than an fsync on every hit. The next FULL commit makes them durable too.
    public func recordHits(_ hits: [ContentHash: Int64], creditsSaved: Int64, now: Date = Date()) throws {
        guard !hits.isEmpty else { return }
        guard !isReadOnly else { throw readOnlyError }
        let time = now.unixMilliseconds
        try writeBookkeeping { db in
            var total: Int64 = 0
            for (actionKey, count) in hits {
                total += count
                try db.execute(
                    sql: "UPDATE extractions SET hit_count = hit_count + ?, last_used_at = max(last_used_at, ?) WHERE action_key = ?",
                    arguments: [count, time, actionKey.bytes]
                )
                try db.execute(
                    sql: """
                        UPDATE blobs SET last_used_at = max(last_used_at, ?) WHERE key IN (
                            SELECT e.blob_key FROM elements e JOIN extractions x ON x.id = e.extraction_id
                            WHERE x.action_key = ? AND e.blob_key IS NOT NULL)
                        """,
                    arguments: [time, actionKey.bytes]
                )
            }
            try db.execute(sql: "UPDATE counters SET value = value + ? WHERE name = 'hits'", arguments: [total])
            try db.execute(sql: "UPDATE counters SET value = value + ? WHERE name = 'credits_saved'", arguments: [creditsSaved])
        }
    }
}
