import Foundation
import GRDB

/// What a store holds and what it has saved.
public struct StoreStats: Sendable, Hashable, Codable {
    /// Extractions stored: successful and negative.
    public var entries: Int64
    /// Negative results among `entries`.
    public var negative: Int64
    /// Answers whose result files are not downloaded yet (not counted in `entries`).
    public var pending: Int64
    /// Blob files.
    public var blobs: Int64
    /// The total size of the blob files.
    public var bytes: Int64
    public var hits: Int64
    public var misses: Int64
    public var upstreamCalls: Int64
    public var retries: Int64
    public var bytesDownloaded: Int64
    /// Hits on successful extractions, each of which would have been a billed call.
    public var creditsSaved: Int64
    /// Answers made while the shared tier was down that wait to be published to it (marks in
    /// ``Store/sharedOutbox``); the next manager on the store publishes them.
    public var unpublished: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case entries, negative, pending, blobs, bytes, hits, misses, retries, unpublished
        case upstreamCalls = "upstream_calls"
        case bytesDownloaded = "bytes_downloaded"
        case creditsSaved = "credits_saved"
    }
}

extension Store {
    /// Counts entries and blobs, and reads the counters.
    public func stats() throws -> StoreStats {
        try flushHits()
        let counters = try catalog.counters()
        let unpublished = Int64(sharedOutboxMarks().count)
        return try catalog.read { db in
            // Read leniently: a malformed row must not stop the count (verify reports it).
            let states = try Row.fetchAll(db, sql: "SELECT CAST(state AS TEXT), count(*) FROM extractions GROUP BY 1")
            var byState: [String: Int64] = [:]
            for row in states {
                if let state = String.fromDatabaseValue(row[0] as DatabaseValue) { byState[state] = Int64.fromDatabaseValue(row[1] as DatabaseValue) ?? 0 }
            }
            let blobRow = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(CASE typeof(size) WHEN 'integer' THEN size ELSE 0 END), 0) FROM blobs")
            return StoreStats(
                entries: (byState["ok"] ?? 0) + (byState["failed"] ?? 0),
                negative: byState["failed"] ?? 0,
                pending: byState["pending"] ?? 0,
                blobs: blobRow.flatMap { Int64.fromDatabaseValue($0[0] as DatabaseValue) } ?? 0,
                bytes: blobRow.flatMap { Int64.fromDatabaseValue($0[1] as DatabaseValue) } ?? 0,
                hits: counters[.hits] ?? 0,
                misses: counters[.misses] ?? 0,
                upstreamCalls: counters[.upstreamCalls] ?? 0,
                retries: counters[.retries] ?? 0,
                bytesDownloaded: counters[.bytesDownloaded] ?? 0,
                creditsSaved: counters[.creditsSaved] ?? 0,
                unpublished: unpublished
            )
        }
    }

    /// One line of `assets cache ls`: an extraction and the size of its results.
    public struct Listing: Sendable, Hashable, Codable {
        public var actionKey: String
        public var inputSHA256: String
        public var operation: String
        public var options: String
        public var namespace: String
        public var state: CatalogEntry.State
        public var errorCode: String?
        public var elements: Int
        public var bytes: Int64
        public var hits: Int64
        public var createdAt: Date
        public var lastUsedAt: Date

        enum CodingKeys: String, CodingKey {
            case operation, options, namespace, state, elements, bytes, hits
            case actionKey = "action_key"
            case inputSHA256 = "input_sha256"
            case errorCode = "error_code"
            case createdAt = "created_at"
            case lastUsedAt = "last_used_at"
        }
    }

    /// Every well-formed extraction, most recently used first.
    public func list() throws -> [Listing] {
        try listing().listings
    }

    /// Every well-formed extraction, most recently used first, and the catalog rows that could
    /// not be read (reported, never trusted; `verify --repair` quarantines them).
    public func listing() throws -> (listings: [Listing], malformed: [MalformedRow]) {
        try flushHits()
        let (sizes, scan) = try catalog.read { db -> ([Data: Int64], (entries: [CatalogEntry], malformed: [MalformedRow])) in
            var sizes: [Data: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, size FROM blobs") {
                if let key = Data.fromDatabaseValue(row[0] as DatabaseValue), let size = Int64.fromDatabaseValue(row[1] as DatabaseValue) { sizes[key] = size }
            }
            return (sizes, try Catalog.scanEntries(db))
        }
        let listings = scan.entries.map { entry in
            Listing(
                actionKey: entry.actionKey.hex, inputSHA256: entry.inputKey.hex, operation: entry.operation,
                options: entry.options, namespace: entry.namespace, state: entry.state, errorCode: entry.errorCode,
                elements: entry.elements.count,
                bytes: entry.elements.reduce(0) { $0 + ($1.blobKey.flatMap { sizes[$0.bytes] } ?? 0) },
                hits: entry.hitCount, createdAt: entry.createdAt, lastUsedAt: entry.lastUsedAt
            )
        }
        return (listings, scan.malformed)
    }
}
