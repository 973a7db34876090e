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

    /// Stores an answer whose results are already files (a plugin's, the mock's): the entry,
    /// its elements and their blobs in one write transaction, with no pending step between.
    ///
    /// `placeBlobs` runs inside the transaction and returns each element's blob by position
    /// (it renames the files into the store, as ``complete(_:now:placeBlobs:)`` does).
    @discardableResult
    public func recordComplete(
        _ identity: ExtractionIdentity, requestID: String?, logID: String?, elements: [CatalogEntry.Element], now: Date = Date(),
        placeResponse: () throws -> (hash: ContentHash, size: Int64)? = { nil },
        placeBlobs: () throws -> [Int: (hash: ContentHash, size: Int64)]
    ) throws -> CatalogEntry {
        try write { db in
            let response = try placeResponse()
            try insert(db, identity, state: .ok, requestID: requestID, logID: logID, response: response, errorCode: nil, errorMessage: nil, now: now)
            let id = db.lastInsertedRowID
            let blobs = try placeBlobs()
            let time = now.unixMilliseconds
            for element in elements {
                guard let blob = blobs[element.position] else {
                    throw StoreError(.io, "Result \(element.position + 1) of extraction \(identity.actionKey.hex) was not stored; run the extraction again.")
                }
                try Self.upsertBlob(db, blob.hash, size: blob.size, time: time)
                try db.execute(
                    sql: "INSERT INTO elements (extraction_id, position, blob_key, width, height, x, y) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [id, element.position, blob.hash.bytes, element.width, element.height, element.x, element.y]
                )
            }
            guard let entry = try Self.fetchEntry(db, actionKey: identity.actionKey) else {
                throw StoreError(.io, "The extraction \(identity.actionKey.hex) could not be read back after it was stored; run it again.")
            }
            return entry
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

    /// Every well-formed entry, most recently used first. Malformed rows are left out; see
    /// ``scanEntries()``.
    public func allEntries() throws -> [CatalogEntry] {
        try scanEntries().entries
    }

    /// Every entry, most recently used first, and the rows that could not be read as entries.
    public func scanEntries() throws -> (entries: [CatalogEntry], malformed: [MalformedRow]) {
        try read { db in try Self.scanEntries(db) }
    }

    /// ``scanEntries()`` inside the caller's transaction.
    static func scanEntries(_ db: Database) throws -> (entries: [CatalogEntry], malformed: [MalformedRow]) {
        let rows = try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM extractions x ORDER BY x.last_used_at DESC, x.id DESC")
        var malformed: [MalformedRow] = []
        var elements: [Int64: [CatalogEntry.Element]] = [:]
        var badElements: [Int64: String] = [:]
        let known = Set(rows.map { $0[0] as DatabaseValue })
        for row in try Row.fetchAll(db, sql: "SELECT e.extraction_id, \(elementColumns) FROM elements e ORDER BY e.extraction_id, e.position") {
            var problem: String?
            do {
                let id = try row.int64(0, "extraction_id")
                if !known.contains(row[0] as DatabaseValue) {
                    // Rows of an extraction that is gone are deleted with it (ON DELETE CASCADE);
                    // one left behind is reported with the others.
                    problem = "it belongs to no extraction"
                } else {
                    do {
                        elements[id, default: []].append(try element(from: row, at: 1))
                    } catch {
                        problem = error.problem
                        badElements[id] = badElements[id] ?? "element \((row[1] as DatabaseValue).description) is malformed (\(error.problem))"
                    }
                }
            } catch {
                problem = error.problem
            }
            if let problem {
                malformed.append(MalformedRow(table: "elements", row: row.renamed(elementRowNames), problem: problem))
            }
        }
        var entries: [CatalogEntry] = []
        entries.reserveCapacity(rows.count)
        for row in rows {
            do throws(RowDecodingError) {
                let id = try row.int64(0, "id")
                if let problem = badElements[id] { throw RowDecodingError(problem: problem) }
                entries.append(try entry(from: row, elements: elements[id] ?? []))
            } catch {
                malformed.append(MalformedRow(table: "extractions", row: row.renamed(entryRowNames), problem: error.problem))
            }
        }
        return (entries, malformed)
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
                                         request_id, log_id, response_key, input_size, created_at, last_used_at, hit_count,
                                         fitted_key, fitted_width, fitted_height)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
                """,
            arguments: [
                identity.actionKey.bytes, identity.inputKey.bytes, identity.operation, identity.options, identity.namespace,
                state.rawValue, errorCode, errorMessage, requestID, logID, response?.hash.bytes, identity.inputSize, time, time,
                identity.fitted?.sha256.bytes, identity.fitted?.width, identity.fitted?.height,
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
        x.request_id, x.log_id, x.response_key, x.input_size, x.created_at, x.last_used_at, x.hit_count,         x.fitted_key, x.fitted_width, x.fitted_height
        """
    static let entryColumnCount = 19

    /// The `elements` columns in the order ``element(from:at:)`` reads them.
    static let elementColumns = "e.position, e.blob_key, e.source_url, e.width, e.height, e.x, e.y"

    /// The column names of a row read with ``entryColumns``, for ``MalformedRow``.
    static let entryRowNames = entryColumns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "x.", with: "") }
    /// The column names of a row read with `extraction_id` and ``elementColumns``.
    static let elementRowNames = ["extraction_id"] + elementColumns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "e.", with: "") }

    /// One statement, prepared once per connection: this is the hit path.
    ///
    /// - Throws: ``StoreError`` `.malformedRow` when the row (or one of its elements) holds
    ///   values that are not what the schema says, instead of trusting or trapping on them.
    static func fetchEntry(_ db: Database, actionKey: ContentHash) throws -> CatalogEntry? {
        let statement = try db.cachedStatement(sql: """
            SELECT \(entryColumns), \(elementColumns)
            FROM extractions x LEFT JOIN elements e ON e.extraction_id = x.id
            WHERE x.action_key = ? ORDER BY e.position
            """)
        let rows = try Row.fetchAll(statement, arguments: [actionKey.bytes])
        guard let first = rows.first else { return nil }
        do {
            // An extraction without elements (a negative one) comes back as one row of NULLs.
            var elements: [CatalogEntry.Element] = []
            for row in rows where !row.hasNull(atIndex: entryColumnCount) {
                elements.append(try element(from: row, at: entryColumnCount))
            }
            return try entry(from: first, elements: elements)
        } catch {
            let id = (first[0] as DatabaseValue).description
            throw StoreError(.malformedRow, "The catalog row of extraction \(id) (\(actionKey.hex)) is malformed: \(error.problem); repair the store to quarantine it.")
        }
    }

    /// An element from a row holding ``elementColumns`` from column `start` on.
    static func element(from row: Row, at start: Int) throws(RowDecodingError) -> CatalogEntry.Element {
        CatalogEntry.Element(
            position: try row.int(start, "position"), blobKey: try row.optionalHash(start + 1, "blob_key"),
            sourceURL: try row.optionalText(start + 2, "source_url"),
            width: try row.int(start + 3, "width"), height: try row.int(start + 4, "height"),
            x: try row.int(start + 5, "x"), y: try row.int(start + 6, "y")
        )
    }

    /// An entry from a row that starts with ``entryColumns``.
    static func entry(from row: Row, elements: [CatalogEntry.Element]) throws(RowDecodingError) -> CatalogEntry {
        let stateText = try row.text(6, "state")
        guard let state = CatalogEntry.State(rawValue: stateText) else {
            throw RowDecodingError(problem: "its state is '\(stateText)', not pending, ok or failed")
        }
        return CatalogEntry(
            id: try row.int64(0, "id"),
            actionKey: try row.hash(1, "action_key"),
            inputKey: try row.hash(2, "input_key"),
            operation: try row.text(3, "operation"),
            options: try row.text(4, "options"),
            namespace: try row.text(5, "namespace"),
            state: state,
            errorCode: try row.optionalText(7, "error_code"),
            errorMessage: try row.optionalText(8, "error_message"),
            requestID: try row.optionalText(9, "request_id"),
            logID: try row.optionalText(10, "log_id"),
            responseKey: try row.optionalHash(11, "response_key"),
            inputSize: try row.int64(12, "input_size"),
            createdAt: Date(unixMilliseconds: try row.int64(13, "created_at")),
            lastUsedAt: Date(unixMilliseconds: try row.int64(14, "last_used_at")),
            hitCount: try row.int64(15, "hit_count"),
            elements: elements,
            fitted: try fittedUpload(from: row)
        )
    }

    /// The fitted upload of a row read with ``entryColumns``: all three columns, or none.
    private static func fittedUpload(from row: Row) throws(RowDecodingError) -> FittedUpload? {
        guard let key = try row.optionalHash(16, "fitted_key") else { return nil }
        guard !row.hasNull(atIndex: 17), !row.hasNull(atIndex: 18) else {
            throw RowDecodingError(problem: "it has a fitted_key without fitted_width and fitted_height")
        }
        return FittedUpload(sha256: key, width: try row.int(17, "fitted_width"), height: try row.int(18, "fitted_height"))
    }
}

extension Row {
    /// The row's values under other column names (position by position), for reports.
    func renamed(_ names: [String]) -> Row {
        var dictionary: [String: DatabaseValue] = [:]
        for (index, name) in names.enumerated() where index < count { dictionary[name] = self[index] as DatabaseValue }
        return Row(dictionary)
    }
}
