import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server of its own for a suite: a new cluster in a temporary folder, on a free
/// loopback port, with password authentication over TCP.
///
/// ``start()`` runs `initdb` in a new folder under /tmp, then the `postgres` binary itself
/// through ``ServiceProcess`` (so it stops when the test process ends, even by a crash). Only
/// 127.0.0.1 listens, and only with a password (scram-sha-256): the role `assets`, with a random
/// password that ``url(database:)`` carries, owns the database `assets`. The superuser
/// `postgres` connects only through the Unix socket, in a folder only the server's user can
/// enter; ``psql(_:database:)`` uses it.
///
/// PostgreSQL refuses to run as root. As root, the server's files belong to the user `postgres`
/// and every program of it runs as that user through `setpriv`, which `exec`s the program: the
/// server is the wrapper's own child, so the SIGINT of ``stop()`` (a fast shutdown) reaches it.
/// (`runuser` would not do: it keeps SIGINT from its child, and turns SIGTERM into SIGTERM and,
/// two seconds later, SIGKILL.) Not as root, everything runs as the current user.
public final class PostgresServer: @unchecked Sendable {
    /// The folder with `initdb`, `postgres` and `psql`: `/usr/lib/postgresql/<newest>/bin`, else
    /// the folder of the `postgres` on `PATH`; `nil` when there is none.
    public static let binDirectory: URL? = {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .filter { hasServer(root.appendingPathComponent($0).appendingPathComponent("bin")) }
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        if let newest = versions.last { return root.appendingPathComponent(newest).appendingPathComponent("bin") }
        if let onPath = ServiceProcess.which("postgres") {
            let folder = onPath.resolvingSymlinksInPath().deletingLastPathComponent()
            if hasServer(folder) { return folder }
        }
        return nil
    }()

    /// The `psql` beside the server, else the one on `PATH`.
    public static var psqlExecutable: URL? {
        if let beside = binDirectory?.appendingPathComponent("psql"), FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return ServiceProcess.which("psql")
    }

    /// Whether the tests that need PostgreSQL can run here: the server's programs are installed,
    /// and, as root, the user `postgres` and `setpriv` exist.
    public static var isAvailable: Bool {
        guard binDirectory != nil, psqlExecutable != nil else { return false }
        return geteuid() != 0 || (serverUser != nil && setpriv != nil)
    }

    public private(set) var port: Int
    /// The password of the role `assets`.
    public let password: String
    /// The cluster's data folder (`PGDATA`), kept across ``stop()`` and ``restart()``.
    public let dataDirectory: URL

    /// `postgres://assets:<password>@127.0.0.1:<port>/<database>?sslmode=disable`, the password
    /// percent-encoded.
    public func url(database: String = "assets") -> String {
        "postgres://assets:\(Self.percentEncoded(password))@127.0.0.1:\(port)/\(Self.percentEncoded(database))?sslmode=disable"
    }

    /// The running server's process id (the postmaster), or `nil` while it is stopped.
    public var processID: pid_t? { lock.withLock { service?.programProcessID } }

    /// The server's log so far (of its current run), without the password.
    public var log: String { redacted(lock.withLock { service?.output } ?? "") }

    private let folder: URL
    private let socketDirectory: URL
    private let lock = NSLock()
    /// Held for the whole of a start, stop or shutdown, so that they do not interleave.
    private let operation = NSLock()
    private var service: ServiceProcess?
    private var isShutDown = false

    // MARK: Starting

    /// A new cluster (a role `assets` with a random password, a database `assets` owned by it),
    /// started on a free port; returns once the server accepts connections and answers a query.
    public static func start() async throws -> PostgresServer {
        try await ChildProcess.onOwnThread { try PostgresServer() }
    }

    private init() throws {
        guard let bin = Self.binDirectory else {
            throw ServiceProcessError(message: "PostgreSQL is not installed (no initdb/postgres in /usr/lib/postgresql/*/bin or on PATH); run .ci/run, or apt-get install postgresql-15.")
        }
        guard Self.isAvailable else {
            throw ServiceProcessError(message: "PostgreSQL refuses to run as root and there is no user postgres (or no setpriv) to run it as.")
        }
        Self.sweepAbandonedFolders()
        folder = try Self.makeFolder()
        dataDirectory = folder.appendingPathComponent("data", isDirectory: true)
        socketDirectory = folder.appendingPathComponent("socket", isDirectory: true)
        password = Self.randomPassword()
        port = 0
        PostgresRegistry.shared.add(self)
        do {
            for directory in [dataDirectory, socketDirectory] {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
                try Self.giveToServerUser(directory)
            }
            let initdb = try Self.runAsServerUser(
                bin.appendingPathComponent("initdb"),
                ["-D", dataDirectory.path, "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"],
                in: folder
            )
            guard initdb.status == 0 else {
                throw ServiceProcessError(message: "initdb failed (status \(initdb.status)): \(initdb.stderrText.suffix(2000))")
            }
            // The superuser only through the socket (in a folder only the server's user enters);
            // everyone else only over TCP on 127.0.0.1, with a password.
            let hba = """
                # PostgresServer (Tests/TestSupport): TYPE DATABASE USER ADDRESS METHOD
                local all postgres trust
                host all all 127.0.0.1/32 scram-sha-256

                """
            let hbaFile = dataDirectory.appendingPathComponent("pg_hba.conf")
            try hba.write(to: hbaFile, atomically: false, encoding: .utf8)
            try Self.giveToServerUser(hbaFile)

            // A free port can be taken between choosing it and binding it: try a few.
            var lastError: (any Error)?
            for _ in 0..<3 {
                do {
                    try launch(port: ServiceProcess.freePort())
                    lastError = nil
                    break
                } catch {
                    lastError = error
                }
            }
            if let lastError { throw lastError }
            _ = try psqlBlocking("CREATE ROLE assets LOGIN PASSWORD '\(password)';\nCREATE DATABASE assets OWNER assets;\n", database: "postgres")
        } catch {
            shutdown()
            throw error
        }
    }

    /// Starts `postgres` on `port` and waits until it accepts and answers `SELECT 1`.
    private func launch(port: Int) throws {
        let bin = Self.binDirectory!
        let arguments = [
            "-D", dataDirectory.path, "-p", String(port), "-k", socketDirectory.path,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ]
        let (executable, fullArguments) = Self.asServerUser(bin.appendingPathComponent("postgres"), arguments)
        let started = try blockingWait {
            try await ServiceProcess.start(executable, port: port, arguments: fullArguments, environment: Self.cleanEnvironment)
        }
        lock.withLock {
            self.port = port
            service = started
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            // Accepting TCP is not ready yet: the server refuses queries while it starts up.
            if let answer = try? psqlBlocking("SELECT 1", database: "postgres", timeout: .seconds(10)), answer == "1" { return }
            if started.programProcessID == nil || ContinuousClock.now >= deadline {
                let reason = started.programProcessID == nil ? "exited" : "did not answer a query within 30 s"
                let output = redacted(started.output)
                started.stop(signal: SIGINT, within: .seconds(10))
                lock.withLock { service = nil }
                throw ServiceProcessError(message: "PostgreSQL on port \(port) \(reason): \(output.suffix(2000))")
            }
            usleep(50_000)
        }
    }

    // MARK: Using it

    /// A new empty database owned by `assets`, for a test of its own; returns its name.
    public func createDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        _ = try await psql("CREATE DATABASE \(name) OWNER assets;", database: "postgres")
        return name
    }

    /// Runs `sql` as the superuser through `psql` (`-X -A -t -q -v ON_ERROR_STOP=1`, over the Unix
    /// socket, the SQL in a file of the server's user's only) and returns its stdout without the last newline: one line a
    /// row, columns split by `|`.
    public func psql(_ sql: String, database: String = "assets") async throws -> String {
        try await ChildProcess.onOwnThread { try self.psqlBlocking(sql, database: database) }
    }

    private func psqlBlocking(_ sql: String, database: String, timeout: Duration = .seconds(120)) throws -> String {
        guard let psql = Self.psqlExecutable else { throw ServiceProcessError(message: "psql is not installed") }
        let port = lock.withLock { self.port }
        // In a file, not on the command line (where `ps` would show a password) nor on stdin
        // (a write to a psql that has already failed would raise SIGPIPE here).
        let script = folder.appendingPathComponent("sql-\(UUID().uuidString).sql")
        guard FileManager.default.createFile(atPath: script.path, contents: Data(sql.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ServiceProcessError(message: "Could not write \(script.path)")
        }
        defer { try? FileManager.default.removeItem(at: script) }
        try Self.giveToServerUser(script)
        let result = try Self.runAsServerUser(
            psql,
            ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory.path, "-p", String(port), "-U", "postgres", "-d", database, "-f", script.path],
            in: folder, timeout: timeout
        )
        guard result.status == 0 else {
            throw ServiceProcessError(message: redacted("psql failed (status \(result.status)): \(result.stderrText.suffix(2000))\nserver log: \(log.suffix(2000))"))
        }
        var text = result.stdoutText
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    // MARK: Stopping

    /// Stops the server (a fast shutdown: SIGINT to the server, then waits until it has exited),
    /// keeping its data; ``start()`` or ``restart()`` starts it again on the same port.
    public func stop() async throws {
        try await ChildProcess.onOwnThread { try self.stopBlocking() }
    }

    /// Starts the server again, after ``stop()``, on the same port and data; does nothing while it
    /// runs.
    public func start() async throws {
        try await ChildProcess.onOwnThread {
            try self.operation.withLock {
                guard !self.lock.withLock({ self.isShutDown }) else { throw ServiceProcessError(message: "This PostgresServer was shut down.") }
                guard self.lock.withLock({ self.service == nil }) else { return }
                try self.launch(port: self.lock.withLock { self.port })
            }
        }
    }

    /// Stops the server if it runs, then starts it again on the same port and data.
    public func restart() async throws {
        try await stop()
        try await start()
    }

    private func stopBlocking() throws {
        try operation.withLock {
            guard let running = lock.withLock({ service }) else { return }
            let exited = running.stop(signal: SIGINT, within: .seconds(30))
            lock.withLock { service = nil }
            guard exited else {
                throw ServiceProcessError(message: "PostgreSQL did not stop within 30 s of SIGINT and was killed: \(redacted(running.output).suffix(2000))")
            }
        }
    }

    /// Stops the server for good and deletes its folder. Also done by `deinit` and when the
    /// test process exits.
    public func shutdown() {
        operation.withLock {
            let running = lock.withLock {
                defer { service = nil; isShutDown = true }
                return service
            }
            running?.stop(signal: SIGINT, within: .seconds(30))
            try? FileManager.default.removeItem(at: folder)
            PostgresRegistry.shared.remove(self)
        }
    }

    deinit {
        shutdown()
    }

    // MARK: Helpers

    private func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: password, with: "<password>")
            .replacingOccurrences(of: Self.percentEncoded(password), with: "<password>")
    }

    private static func hasServer(_ folder: URL) -> Bool {
        ["postgres", "initdb"].allSatisfy { FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path) }
    }

    private static var runsAsRoot: Bool { geteuid() == 0 }

    /// The user `postgres` (uid, gid), as root.
    private static let serverUser: (uid: uid_t, gid: gid_t)? = {
        guard let entry = getpwnam("postgres") else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }()

    private static let setpriv: URL? = {
        for path in ["/usr/bin/setpriv", "/bin/setpriv"] where FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        return ServiceProcess.which("setpriv")
    }()

    /// No `PG*` variable of the caller's (a `PGPASSWORD`, `PGHOST`, `PGOPTIONS`) reaches the
    /// server's programs.
    private static var cleanEnvironment: [String: String?] {
        var changes: [String: String?] = [:]
        for key in ProcessInfo.processInfo.environment.keys where key.hasPrefix("PG") { changes[key] = .some(nil) }
        return changes
    }

    /// `executable` with `arguments` as the server's user: through `setpriv` (which `exec`s it)
    /// as root, as it is otherwise.
    private static func asServerUser(_ executable: URL, _ arguments: [String]) -> (URL, [String]) {
        guard runsAsRoot, let setpriv else { return (executable, arguments) }
        return (setpriv, ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable.path] + arguments)
    }

    private static func giveToServerUser(_ url: URL) throws {
        guard runsAsRoot, let user = serverUser else { return }
        guard chown(url.path, user.uid, user.gid) == 0 else {
            throw ServiceProcessError(message: "chown \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    /// A new folder `/tmp/assets-pg-XXXXXX` that the server's user can pass through (0755),
    /// with an `owner` file naming this process, for ``sweepAbandonedFolders()``.
    private static func makeFolder() throws -> URL {
        var template = Array("/tmp/assets-pg-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ServiceProcessError(message: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        let folder = URL(fileURLWithPath: String(cString: made), isDirectory: true)
        chmod(folder.path, 0o755)
        try String(getpid()).write(to: folder.appendingPathComponent("owner"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Removes the folders of test processes that ended without removing theirs (a crash):
    /// their owner is gone and no server runs in them.
    private static func sweepAbandonedFolders() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/tmp") else { return }
        func alive(_ text: String?) -> Bool {
            guard let text, let pid = pid_t(text.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) ?? "") else { return false }
            return kill(pid, 0) == 0 || errno == EPERM
        }
        for name in names where name.hasPrefix("assets-pg-") {
            let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent(name)
            let owner = try? String(contentsOf: folder.appendingPathComponent("owner"), encoding: .utf8)
            guard owner != nil, !alive(owner) else { continue }
            let postmaster = try? String(contentsOf: folder.appendingPathComponent("data/postmaster.pid"), encoding: .utf8)
            guard !alive(postmaster) else { continue }
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// 24 letters and digits, with `/`, `@`, `%` and `:` among them (characters a URL must
    /// escape, and none that SQL's quotes would need).
    private static func randomPassword() -> String {
        let plain = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var characters = (0..<20).map { _ in plain.randomElement()! } + ["/", "@", "%", ":"]
        characters.shuffle()
        return String(characters)
    }

    /// `text` with everything but unreserved characters (RFC 3986) percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// Runs `executable` (as the server's user) to its end; kills it after `timeout`. Blocks.
    private static func runAsServerUser(_ executable: URL, _ arguments: [String], in directory: URL, timeout: Duration = .seconds(120)) throws -> ProcessResult {
        let (program, fullArguments) = asServerUser(executable, arguments)
        // In a folder the server's user can enter (the tests' own may not be).
        return try ChildProcess.runBlocking(program, fullArguments, environment: ChildProcess.merged(cleanEnvironment),
                                            currentDirectory: directory, timeout: timeout)
    }

    /// Waits for async work from a thread of its own (never a cooperative one).
    private func blockingWait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        nonisolated(unsafe) var result: Result<T, any Error>?
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { result = .success(try await work()) } catch { result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try result!.get()
    }
}

/// The servers still alive, shut down when the test process exits (their folders removed).
final class PostgresRegistry: @unchecked Sendable {
    static let shared: PostgresRegistry = {
        let registry = PostgresRegistry()
        atexit { PostgresRegistry.shared.shutdownAll() }
        return registry
    }()

    private final class Box {
        weak var server: PostgresServer?
        init(_ server: PostgresServer) { self.server = server }
    }

    private let lock = NSLock()
    private var servers: [ObjectIdentifier: Box] = [:]

    func add(_ server: PostgresServer) {
        lock.withLock { servers[ObjectIdentifier(server)] = Box(server) }
    }

    func remove(_ server: PostgresServer) {
        lock.withLock { _ = servers.removeValue(forKey: ObjectIdentifier(server)) }
    }

    func shutdownAll() {
        let alive = lock.withLock { servers.values.compactMap(\.server) }
        for server in alive { server.shutdown() }
    }
}
