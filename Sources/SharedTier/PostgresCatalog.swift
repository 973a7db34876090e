import AssetStore
import AssetTransport
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The catalog half of the shared tier: answered action keys, leases and the ledger of paid
/// calls, in one PostgreSQL database shared by every host of a fleet.
///
/// ```swift
/// let catalog = PostgresCatalog(location: try PostgresLocation(parsing: url), host: "web-1")
/// switch try await catalog.claim(actionKey, ttl: .seconds(60)) {
/// case .owned(let lease): …   // make the paid call, then publish(entry, releasing: lease)
/// case .held: …               // waitForAnswer(actionKey, upTo: .seconds(1)), then look again
/// }
/// ```
///
/// The client runs in a task of the catalog's own from the first call until ``shutdown()``.
/// The schema (`shared-migrations/`) is applied on first use, under a transaction-scoped
/// advisory lock, so that ten servers starting at once migrate once; a database migrated by a
/// newer build is refused. Every call is bounded by ``Options/callTimeout``.
///
/// Single-flight across hosts rests on a lease row, not on session advisory locks (which stay
/// held on pooled connections and break under PgBouncer): ``claim(_:ttl:)`` is one
/// `INSERT … ON CONFLICT … DO UPDATE … WHERE expires_at < now()`; the holder heartbeats, and
/// ``publish(_:releasing:)`` inserts the answer, deletes the lease by its token and `NOTIFY`s
/// in one transaction. Waiters `LISTEN`, and poll as a fallback.
///
/// - Throws: ``SharedTierError`` from every call: ``SharedTierError/Kind/transient`` when the
///   server cannot be reached or does not answer in time, ``SharedTierError/Kind/configuration``
///   for a wrong password, database or permission. No message holds the password.
public final class PostgresCatalog: Sendable {
    public struct Options: Sendable {
        /// The longest one call may take, connecting included.
        public var callTimeout: Duration = .seconds(5)
        /// The most connections this host opens.
        public var maxConnections: Int = 8

        public init() {}
    }

    public let location: PostgresLocation
    /// This host's name in leases and in the ledger.
    public let host: String
    public let options: Options
    let client: PostgresClient
    let logger: Logger
    private let runner: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let listener: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let migration: Mutex<Task<Void, any Error>?> = Mutex(nil)
    let hub = NotificationHub()

    /// The channel answers are announced on; the payload is the action key in hex.
    static let channel = "assets_shared_answers"
    /// The advisory lock the migrations are applied under (a constant of this project's own).
    static let migrationLock: Int64 = 0x6173_7365_7473_0001

    public init(location: PostgresLocation, host: String = PostgresCatalog.defaultHost, options: Options = Options(), logger: Logger = Logger(label: "assets.shared", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.location = location
        self.host = host
        self.options = options
        self.logger = logger
        var configuration = location.clientConfiguration()
        configuration.options.maximumConnections = max(2, options.maxConnections)
        configuration.options.connectTimeout = options.callTimeout
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    deinit {
        runner.withLock { $0?.cancel() }
        listener.withLock { $0?.cancel() }
    }

    /// This host's name and process, as leases and the ledger show it.
    public static var defaultHost: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Stops the client and the listener; the catalog cannot be used afterwards.
    public func shutdown() async {
        let tasks = [runner.withLock { $0 }, listener.withLock { $0 }].compactMap { $0 }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    // MARK: Running

    private func started() {
        runner.withLock { task in
            guard task == nil else { return }
            task = Task { [client] in await client.run() }
        }
    }

    /// Starts the client, applies the migrations once, and starts listening for answers.
    func ready() async throws {
        started()
        let task = migration.withLock { task -> Task<Void, any Error> in
            if let task { return task }
            let new = Task { try await self.migrate() }
            task = new
            return new
        }
        do {
            try await bounded("prepare the shared catalog") { try await task.value }
        } catch {
            // Try again on the next call: the server may be back by then.
            task.cancel()
            migration.withLock { if $0 == task { $0 = nil } }
            throw error
        }
        startListening()
    }

    /// Applies the migrations on a connection of its own, so that a wrong password or an
    /// unreachable server is reported at once (the pool would retry it quietly).
    private func migrate() async throws {
        let connection = try await PostgresConnection.connect(
            on: PostgresClient.defaultEventLoopGroup.next(),
            configuration: location.connectionConfiguration(connectTimeout: options.callTimeout),
            id: 0, logger: logger
        ).get()
        do {
            try await migrate(on: connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private func migrate(on connection: PostgresConnection) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS assets_shared_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger
            )
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM assets_shared_migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            let known = Set(EmbeddedMigrations.all.map(\.name))
            let unknown = applied.subtracting(known).sorted()
            guard unknown.isEmpty else {
                throw SharedTierError.configuration("The shared catalog \(location) was migrated by a newer assets (it has \(unknown.joined(separator: ", ")), unknown to this version); upgrade assets on this host.")
            }
            for migration in EmbeddedMigrations.all where !applied.contains(migration.name) {
                for statement in SQLStatements.split(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO assets_shared_migrations (name) VALUES (\(migration.name))", logger: logger)
                logger.info("migrated the shared catalog", metadata: ["migration": "\(migration.name)"])
            }
        }
    }

    /// One connection LISTENs for answers for as long as the catalog runs, and comes back after
    /// an outage; waiters poll meanwhile.
    private func startListening() {
        listener.withLock { task in
            guard task == nil else { return }
            task = Task { [client, hub, logger] in
                while !Task.isCancelled {
                    do {
                        try await client.withConnection { connection in
                            try await connection.listen(on: Self.channel) { notifications in
                                hub.listening(true)
                                for try await notification in notifications {
                                    hub.deliver(notification.payload)
                                }
                            }
                        }
                    } catch {
                        if !Task.isCancelled { logger.debug("the shared catalog's listener stopped; it starts again", metadata: ["error": "\(Self.describe(error))"]) }
                    }
                    hub.listening(false)
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    // MARK: Answers

    /// The answer to `actionKey`, or `nil`.
    public func entry(for actionKey: ContentHash) async throws -> SharedEntry? {
        try await call("look up an answer") { [logger] client in
            let rows = try await client.query("""
                SELECT e.input_key, e.operation, e.options, e.namespace, e.state, e.error_code, e.error_message,
                       e.request_id, e.input_size, e.fitted_key, e.fitted_width, e.fitted_height, e.host,
                       l.position, l.blob_key, l.blob_size, l.width, l.height, l.x, l.y
                FROM assets_shared_extractions e
                LEFT JOIN assets_shared_elements l ON l.action_key = e.action_key
                WHERE e.action_key = \(actionKey.bytes)
                ORDER BY l.position
                """, logger: logger)
            var entry: SharedEntry?
            for try await row in rows {
                let cells = row.makeRandomAccess()
                if entry == nil {
                    entry = try Self.entry(actionKey, cells)
                }
                if let position = try cells["position"].decode(Int?.self) {
                    entry?.elements.append(SharedEntry.Element(
                        position: position,
                        blobKey: try Self.hash(cells["blob_key"].decode(Data.self)),
                        blobSize: try cells["blob_size"].decode(Int64.self),
                        width: try cells["width"].decode(Int.self), height: try cells["height"].decode(Int.self),
                        x: try cells["x"].decode(Int.self), y: try cells["y"].decode(Int.self)
                    ))
                }
            }
            return entry
        }
    }

    private static func entry(_ actionKey: ContentHash, _ cells: PostgresRandomAccessRow) throws -> SharedEntry {
        var fitted: FittedUpload?
        if let key = try cells["fitted_key"].decode(Data?.self) {
            fitted = FittedUpload(sha256: try hash(key), width: try cells["fitted_width"].decode(Int.self), height: try cells["fitted_height"].decode(Int.self))
        }
        let identity = ExtractionIdentity(
            actionKey: actionKey, inputKey: try hash(cells["input_key"].decode(Data.self)),
            operation: try cells["operation"].decode(String.self), options: try cells["options"].decode(String.self),
            namespace: try cells["namespace"].decode(String.self), inputSize: try cells["input_size"].decode(Int64.self), fitted: fitted
        )
        let state = try cells["state"].decode(String.self)
        return SharedEntry(
            identity: identity, state: state == "ok" ? .ok : .failed,
            errorCode: try cells["error_code"].decode(String?.self), errorMessage: try cells["error_message"].decode(String?.self),
            requestID: try cells["request_id"].decode(String?.self), elements: [], host: try cells["host"].decode(String.self)
        )
    }

    private static func hash(_ bytes: Data) throws -> ContentHash {
        guard let hash = ContentHash(bytes: bytes) else {
            throw SharedTierError(.corrupt, code: SharedTierError.corruptCode, "The shared catalog holds a hash that is not 32 bytes; its row was written by something other than assets.")
        }
        return hash
    }

    /// Whether an answer to `actionKey` is stored: one point query.
    public func contains(_ actionKey: ContentHash) async throws -> Bool {
        try await call("look up an answer") { [logger] client in
            try await client.query("SELECT 1 FROM assets_shared_extractions WHERE action_key = \(actionKey.bytes)", logger: logger).collect().count == 1
        }
    }

    /// Counts an answer given to a host that did not have it, and marks the entry used.
    public func recordSharedHit(_ actionKey: ContentHash) async throws {
        try await call("count a shared hit") { [logger] client in
            _ = try await client.query("""
                UPDATE assets_shared_extractions SET shared_hits = shared_hits + 1, last_used_at = now()
                WHERE action_key = \(actionKey.bytes)
                """, logger: logger)
        }
    }

    /// Marks the answer to `actionKey` used now (an L1 hit on some host), without counting a hit.
    public func markUsed(_ actionKey: ContentHash) async throws {
        try await call("mark an answer used") { [logger] client in
            _ = try await client.query("""
                UPDATE assets_shared_extractions SET last_used_at = now()
                WHERE action_key = \(actionKey.bytes) AND last_used_at < now() - interval '1 minute'
                """, logger: logger)
        }
    }

    /// Removes the answer to `actionKey` (one of its objects is gone or corrupt), so that the
    /// next asker pays for it again and publishes a whole one.
    public func remove(_ actionKey: ContentHash) async throws {
        try await call("remove an unusable answer") { [logger] client in
            _ = try await client.query("DELETE FROM assets_shared_extractions WHERE action_key = \(actionKey.bytes)", logger: logger)
        }
    }

    /// Stores `entry` (its objects already in the bucket: a row never points at an object the
    /// bucket lacks), and, in the same transaction, ends `lease`'s call in the ledger, deletes
    /// the lease by its token and announces the answer. An answer already there is kept.
    ///
    /// - Returns: whether this call stored it.
    @discardableResult
    public func publish(_ entry: SharedEntry, releasing lease: SharedLease? = nil) async throws -> Bool {
        let identity = entry.identity
        return try await call("publish an answer") { [logger] client in
            try await client.withTransaction(logger: logger) { connection in
                let key = identity.actionKey.bytes
                let inserted = try await connection.query("""
                    INSERT INTO assets_shared_extractions
                        (action_key, input_key, operation, options, namespace, state, error_code, error_message,
                         request_id, input_size, fitted_key, fitted_width, fitted_height, host)
                    VALUES (\(key), \(identity.inputKey.bytes), \(identity.operation), \(identity.options), \(identity.namespace),
                            \(entry.state.rawValue), \(entry.errorCode), \(entry.errorMessage), \(entry.requestID), \(identity.inputSize),
                            \(identity.fitted?.sha256.bytes), \(identity.fitted?.width), \(identity.fitted?.height), \(entry.host))
                    ON CONFLICT (action_key) DO NOTHING
                    RETURNING 1
                    """, logger: logger).collect().count == 1
                if inserted {
                    for element in entry.elements {
                        try await connection.query("""
                            INSERT INTO assets_shared_elements (action_key, position, blob_key, blob_size, width, height, x, y)
                            VALUES (\(key), \(element.position), \(element.blobKey.bytes), \(element.blobSize),
                                    \(element.width), \(element.height), \(element.x), \(element.y))
                            """, logger: logger)
                    }
                }
                if let lease {
                    try await Self.finish(lease, as: entry.state == .ok ? .answered : .refused, on: connection, logger: logger)
                    try await connection.query("DELETE FROM assets_shared_leases WHERE action_key = \(key) AND token = \(lease.token)", logger: logger)
                }
                try await connection.query("SELECT pg_notify(\(Self.channel), \(identity.actionKey.hex))", logger: logger)
                return inserted
            }
        }
    }

    // MARK: Leases

    /// Claims the lease on `actionKey` for `ttl`: taken when there is none or the one there
    /// has expired (its holder crashed or hung), else held by another host.
    public func claim(_ actionKey: ContentHash, ttl: Duration) async throws -> LeaseClaim {
        let token = UUID()
        let seconds = ttl.seconds
        return try await call("claim a lease") { [logger, host] client in
            let rows = try await client.query("""
                INSERT INTO assets_shared_leases (action_key, token, host, expires_at)
                VALUES (\(actionKey.bytes), \(token), \(host), now() + make_interval(secs => \(seconds)))
                ON CONFLICT (action_key) DO UPDATE
                    SET token = EXCLUDED.token, host = EXCLUDED.host, claimed_at = now(), expires_at = EXCLUDED.expires_at
                    WHERE assets_shared_leases.expires_at < now()
                RETURNING token
                """, logger: logger).collect()
            if let row = rows.first, try row.decode(UUID.self) == token {
                return .owned(SharedLease(actionKey: actionKey, token: token))
            }
            let holder = try await client.query("SELECT host, expires_at FROM assets_shared_leases WHERE action_key = \(actionKey.bytes)", logger: logger).collect()
            guard let row = holder.first else {
                // Released between the two statements: the caller claims again.
                return .held(by: "", expiresAt: Date())
            }
            let (host, expires) = try row.decode((String, Date).self)
            return .held(by: host, expiresAt: expires)
        }
    }

    /// Extends the lease by `ttl` from now. Returns `false` when it is no longer this host's
    /// (it expired and another host took it over).
    public func heartbeat(_ lease: SharedLease, ttl: Duration) async throws -> Bool {
        let seconds = ttl.seconds
        return try await call("extend a lease") { [logger] client in
            try await client.query("""
                UPDATE assets_shared_leases SET expires_at = now() + make_interval(secs => \(seconds))
                WHERE action_key = \(lease.actionKey.bytes) AND token = \(lease.token)
                RETURNING 1
                """, logger: logger).collect().count == 1
        }
    }

    /// Gives the lease up without an answer (the call failed), ending its call in the ledger
    /// as `outcome`, and wakes the waiters so that one of them tries.
    public func release(_ lease: SharedLease, outcome: PaidCallOutcome? = nil) async throws {
        try await call("release a lease") { [logger] client in
            try await client.withTransaction(logger: logger) { connection in
                if let outcome { try await Self.finish(lease, as: outcome, on: connection, logger: logger) }
                try await connection.query("DELETE FROM assets_shared_leases WHERE action_key = \(lease.actionKey.bytes) AND token = \(lease.token)", logger: logger)
                try await connection.query("SELECT pg_notify(\(Self.channel), \(lease.actionKey.hex))", logger: logger)
            }
        }
    }

    /// Writes the start of a paid call to the ledger: who, when, for which key.
    public func recordCallStart(_ lease: SharedLease, namespace: String) async throws -> SharedLease {
        try await call("record a paid call") { [logger, host] client in
            let rows = try await client.query("""
                INSERT INTO assets_shared_paid_calls (action_key, namespace, host)
                VALUES (\(lease.actionKey.bytes), \(namespace), \(host)) RETURNING id
                """, logger: logger).collect()
            var started = lease
            started.callID = try rows.first?.decode(Int64.self)
            return started
        }
    }

    private static func finish(_ lease: SharedLease, as outcome: PaidCallOutcome, on connection: PostgresConnection, logger: Logger) async throws {
        guard let id = lease.callID else { return }
        try await connection.query("""
            UPDATE assets_shared_paid_calls SET finished_at = now(), outcome = \(outcome.rawValue) WHERE id = \(id)
            """, logger: logger)
    }

    /// Waits until an answer to `actionKey` is announced, or `limit` has passed, whichever
    /// comes first. The caller looks again either way (a notification can be missed).
    public func waitForAnswer(_ actionKey: ContentHash, upTo limit: Duration) async {
        await hub.wait(for: actionKey.hex, upTo: limit)
    }

    // MARK: Calls

    /// Runs `body` once the catalog is ready, within ``Options/callTimeout``, with its
    /// failures as ``SharedTierError``.
    func call<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        try await ready()
        return try await bounded(doing) { [client] in try await body(client) }
    }

    /// `body` within ``Options/callTimeout``, its failures made ``SharedTierError``.
    ///
    /// It returns at the limit even when `body` does not end on cancellation (a lease waiting
    /// for a connection to a server that is down): `body` is cancelled and left to end alone.
    func bounded<T: Sendable>(_ doing: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = options.callTimeout
        let timedOut = SharedTierError(.transient, code: SharedTierError.unavailableCode, "The shared catalog at \(location) did not answer within \(timeout.seconds.formatted()) s (to \(doing)); try again once it is reachable.")
        let race = Race<T>()
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                    race.start(continuation, work: Task { race.finish(await Result(catching: body)) }, timer: Task {
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        race.finish(.failure(timedOut))
                    })
                }
            } onCancel: {
                race.finish(.failure(CancellationError()))
            }
        } catch {
            switch Self.unwrapped(error) {
            case let error as SharedTierError: throw error
            case is CancellationError: throw CancellationError()
            case let error: throw classify(error, doing: doing)
            }
        }
    }

    /// The error inside a transaction's failure (its body's, its BEGIN's or its COMMIT's);
    /// any other error as it is.
    private static func unwrapped(_ error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError,
              let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError else { return error }
        return unwrapped(inner)
    }

    /// A postgres-nio failure as one sentence and a kind, without the password.
    func classify(_ error: any Error, doing: String) -> SharedTierError {
        var serverError: (state: String, said: String)?
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            serverError = (state, error.serverInfo?[.message] ?? state)
        } else if case .server(let message)? = error as? PostgresError, let state = message.fields[.sqlState] {
            // The simple-query protocol (the migrations) reports the older way.
            serverError = (state, message.fields[.message] ?? state)
        }
        if let (state, reported) = serverError {
            // A server's message never holds the password, but one never reaches a log unchecked.
            let said = Redaction.redact(reported, secrets: location.secrets)
            // 28: authorization; 3D: no such database; 42501: no permission.
            if state.hasPrefix("28") || state.hasPrefix("3D") || state == "42501" {
                return SharedTierError.configuration("The shared catalog at \(location) refused to \(doing): \(said); check the user, password and database in the postgres:// URL.")
            }
            if state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53") || state == "40001" || state == "40P01" {
                return SharedTierError(.transient, code: SharedTierError.unavailableCode, "The shared catalog at \(location) could not \(doing): \(said); try again.")
            }
            return SharedTierError(.transient, code: SharedTierError.unavailableCode, "The shared catalog at \(location) failed to \(doing): \(said) (SQLSTATE \(state)).")
        }
        return SharedTierError(.transient, code: SharedTierError.unavailableCode, "Cannot reach the shared catalog at \(location) to \(doing) (\(Self.describe(error))); check that PostgreSQL runs there.")
    }

    /// A short description of a failure that holds no secret: PSQLError's own is generic by
    /// design; its code says what happened.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let underlying = error.underlying { return "\(error.code): \(type(of: underlying))" }
            return "\(error.code)"
        }
        return "\(type(of: error))"
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The first of a call's result, its time limit and its cancellation to arrive: it resumes the
/// waiter, and cancels the call and the timer.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
        var early: Result<T, any Error>?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, work: Task<Void, Never>, timer: Task<Void, Never>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            state.tasks = [work, timer]
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early {
            work.cancel()
            timer.cancel()
            continuation.resume(with: early)
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard let continuation = state.continuation else {
                if state.early == nil, state.tasks.isEmpty { state.early = result }
                return (nil, [])
            }
            state.continuation = nil
            return (continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}

extension Result where Failure == any Error {
    /// The result of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
