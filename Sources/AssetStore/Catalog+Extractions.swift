import Foundation
import GRDB

extension Catalog {
    /// The extraction stored under `actionKey`, with its elements, or `nil`.
    public func entry(for actionKey: ContentHash) throws -> CatalogEntry? {
        // One SELECT is atomic by itself: no explicit transaction (BEGIN, COMMIT) around it.
        try unisolatedRead { db in try Self.fetchEntry(db, actionKey: actionKey) }
    }

    /// Stores the API's answer before its result files are downloaded.
    ///
    /// `placeResponse` runs inside the write transaction and stores the raw response body as a
    /// blob, returning its hash and size.
    ///
    /// Replaces any earlier entry under the same action key (an expired pending one, or a
    /// negative one being retried), so a crash after this call costs no second API call.
    @discardableResult
    public func recordPending(_ identity: ExtractionIdentity, requestID: String?, logID: String?, elements: [CatalogEntry.Element], now: Date = Date(), placeResponse: () throws -> (hash: ContentHash, size: Int64)? = { nil }) throws -> CatalogEntry {
        try write { db in
            let response = try placeResponse()
            try insert(db, identity, state: .pending, requestID: requestID, logID: logID, response: response, errorCode: nil, errorMessage: nil, now: now)
            let id = db.lastInsertedRowID
            for element in elements {
                try db.execute(
                    sql: "INSERT INTO elements (extraction_id, position, source_url, width, height, x, y) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [id, element.position, element.sourceURL, element.width, element.height, element.x, element.y]
                )
            }
            return try Self.fetchEntry(db, actionKey: identity.actionKey)!
        }
    }

    /// Stores a negative result: the API refused these bytes in a way that will not change.
    @discardableResult
    public func recordFailure(_ identity: ExtractionIdentity, code: String, message: String, requestID: String?, logID: String?, now: Date = Date(), placeResponse: () throws -> (hash: ContentHash, size: Int64)? = { nil }) throws -> CatalogEntry {
        try write { db in
            let response = try placeResponse()
            try insert(db, identity, state: .failed, requestID: requestID, logID: logID, response: response, errorCode: code, errorMessage: message, now: now)
            return try Self.fetchEntry(db, actionKey: identity.actionKey)!
        }
    }

    /// Marks a pending entry complete, in one transaction with `placeBlobs`.
    ///
    /// `placeBlobs` runs inside the write transaction and returns each element's blob (by
    /// position). It is where the blob files are renamed into place: `gc` deletes blob files
    /// only inside its own write transaction, so a blob placed here cannot be swept before the
    /// row that points at it is committed.
    @discardableResult
    public func complete(_ actionKey: ContentHash, now: Date = Date(), placeBlobs: () throws -> [Int: (hash: ContentHash, size: Int64)]) throws -> CatalogEntry {
        try write { db in
            guard let entry = try Self.fetchEntry(db, actionKey: actionKey), entry.state == .pending else {
                throw StoreError(.io, "The pending extraction \(actionKey.hex) disappeared while its results were downloading; run the extraction again.")
            }
            let blobs = try placeBlobs()
            let time = now.unixMilliseconds
            for element in entry.elements {
                guard let blob = blobs[element.position] else {
                    throw StoreError(.io, "Result \(element.position + 1) of extraction \(actionKey.hex) was not stored; run the extraction again.")
                }
                try Self.upsertBlob(db, blob.hash, size: blob.size, time: time)
                try db.execute(
                    sql: "UPDATE elements SET blob_key = ?, source_url = NULL WHERE extraction_id = ? AND position = ?",
                    arguments: [blob.hash.bytes, entry.id, element.position]
                )
            }
            try db.execute(sql: "UPDATE extractions SET state = 'ok', last_used_at = ? WHERE id = ?", arguments: [time, entry.id])
            return try Self.fetchEntry(db, actionKey: actionKey)!
        }
    }

    /// Deletes the entry under `actionKey`; its blobs stay until `gc` finds them unreferenced.
    public func remove(_ actionKey: ContentHash) throws {
        defer { noteRemoval() }
        try write { db in
            try db.execute(sql: "DELETE FROM extractions WHERE action_key = ?", arguments: [actionKey.bytes])
        }
    }

    /// Every entry, most recently used first.
    public func allEntries() throws -> [CatalogEntry] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM extractions x ORDER BY x.last_used_at DESC, x.id DESC")
            let elements = try Self.fetchAllElements(db)
            return rows.map { Self.entry(from: $0, elements: elements[$0[0]] ?? []) }
        }
    }

    // MARK: - Rows

    private func insert(_ db: Database, _ identity: ExtractionIdentity, state: CatalogEntry.State, requestID: String?, logID: String?, response: (hash: ContentHash, size: Int64)?, errorCode: String?, errorMessage: String?, now: Date) throws {
        let time = now.unixMilliseconds
        try db.execute(sql: "DELETE FROM extractions WHERE action_key = ?", arguments: [identity.actionKey.bytes])
        if db.changesCount > 0 { noteRemoval() }
        if let response {
            try Self.upsertBlob(db, response.hash, size: response.size, time: time)
        }
        try db.execute(
            sql: """
                INSERT INTO extractions (action_key, input_key, operation, options, namespace, state, error_code, error_message,
                                         request_id, log_id, response_key, input_size, created_at, last_used_at, hit_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                """,
            arguments: [
                identity.actionKey.bytes, identity.inputKey.bytes, identity.operation, identity.options, identity.namespace,
                state.rawValue, errorCode, errorMessage, requestID, logID, response?.hash.bytes, identity.inputSize, time, time,
            ]
        )
    }

    static func upsertBlob(_ db: Database, _ hash: ContentHash, size: Int64, time: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO blobs (key, size, created_at, last_used_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET last_used_at = excluded.last_used_at
                """,
            arguments: [hash.bytes, size, time, time]
        )
    }

    // Rows are read by column position, not name: a name lookup lowercases and compares
    // strings on every access, which was the largest cost of a hit's catalog read.

    /// The `extractions` columns in the order ``entry(from:elements:)`` reads them.
    static let entryColumns = """
        x.id, x.action_key, x.input_key, x.operation, x.options, x.namespace, x.state, x.error_code, x.error_message, \
        x.request_id, x.log_id, x.response_key, x.input_size, x.created_at, x.last_used_at, x.hit_count
        """
    static let entryColumnCount = 16

    /// The `elements` columns in the order ``element(from:at:)`` reads them.
    static let elementColumns = "e.position, e.blob_key, e.source_url, e.width, e.height, e.x, e.y"

    /// One statement, prepared once per connection: this is the hit path.
    static func fetchEntry(_ db: Database, actionKey: ContentHash) throws -> CatalogEntry? {
        let statement = try db.cachedStatement(sql: """
            SELECT \(entryColumns), \(elementColumns)
            FROM extractions x LEFT JOIN elements e ON e.extraction_id = x.id
            WHERE x.action_key = ? ORDER BY e.position
            """)
        let rows = try Row.fetchAll(statement, arguments: [actionKey.bytes])
        guard let first = rows.first else { return nil }
        // An extraction without elements (a negative one) comes back as one row of NULLs.
        let elements = rows.compactMap { row in
            row.hasNull(atIndex: entryColumnCount) ? nil : element(from: row, at: entryColumnCount)
        }
        return entry(from: first, elements: elements)
    }

    /// Every element, grouped by extraction id, in position order.
    static func fetchAllElements(_ db: Database) throws -> [Int64: [CatalogEntry.Element]] {
        var grouped: [Int64: [CatalogEntry.Element]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT e.extraction_id, \(elementColumns) FROM elements e ORDER BY e.extraction_id, e.position") {
            grouped[row[0], default: []].append(element(from: row, at: 1))
        }
        return grouped
    }

    /// An element from a row holding ``elementColumns`` from column `start` on.
    static func element(from row: Row, at start: Int) -> CatalogEntry.Element {
        let blob: Data? = row[start + 1]
        return CatalogEntry.Element(
            position: row[start], blobKey: blob.flatMap(ContentHash.init(bytes:)), sourceURL: row[start + 2],
            width: row[start + 3], height: row[start + 4], x: row[start + 5], y: row[start + 6]
        )
    }

    /// An entry from a row that starts with ``entryColumns``.
    static func entry(from row: Row, elements: [CatalogEntry.Element]) -> CatalogEntry {
        let response: Data? = row[11]
        return CatalogEntry(
            id: row[0],
            actionKey: ContentHash(bytes: row[1])!,
            inputKey: ContentHash(bytes: row[2])!,
            operation: row[3],
            options: row[4],
            namespace: row[5],
            state: CatalogEntry.State(rawValue: row[6]) ?? .failed,
            errorCode: row[7],
            errorMessage: row[8],
            requestID: row[9],
            logID: row[10],
            responseKey: response.flatMap(ContentHash.init(bytes:)),
            inputSize: row[12],
            createdAt: Date(unixMilliseconds: row[13]),
            lastUsedAt: Date(unixMilliseconds: row[14]),
            hitCount: row[15],
            elements: elements
        )
    }
}
