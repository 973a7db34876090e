import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// TestSupport's PostgresServer: a cluster of its own, password authentication over TCP, and a
/// stop and restart that keep the data.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "PostgreSQL (initdb/postgres) is not installed, so the PostgreSQL tests are skipped; .ci/run installs postgresql-15 and runs them"))
struct PostgresServerTests {
    /// One server for the suite's tests that do not stop it.
    static let shared = Task { try await PostgresServer.start() }

    /// `psql` as a client would run it: the URL alone, with no password from the environment
    /// or a password file.
    static func client(_ url: String, _ sql: String) async throws -> ProcessResult {
        let environment: [String: String?] = ["PGPASSWORD": nil, "PGPASSFILE": "/dev/null", "PGSERVICEFILE": "/dev/null", "PGHOST": nil, "PGUSER": nil, "PGDATABASE": nil, "PGPORT": nil]
        return try await ChildProcess.run(PostgresServer.psqlExecutable!, ["-X", "-A", "-t", "-q", "-w", "-c", sql, url], environment: environment)
    }

    /// Whether any process on this machine is the server `pid` or a child of it.
    static func processesOf(_ pid: pid_t) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(pid_t.init).filter { candidate in
            guard candidate != pid else { return true }
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            // pid (comm) state ppid ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid
        }
    }

    @Test func itStartsAndAnswersAQueryAsTheSuperuser() async throws {
        let server = try await Self.shared.value
        #expect(try await server.psql("SELECT 1") == "1")
        #expect(try await server.psql("SELECT current_user, current_database()") == "postgres|assets")
        #expect(try await server.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'assets'") == "assets")
        #expect(try await server.psql("SHOW listen_addresses") == "127.0.0.1")
        #expect(try await server.psql("SHOW fsync") == "off")
        #expect(server.port > 0)
    }

    @Test func theURLCarriesThePasswordAndAWrongOneIsRefused() async throws {
        let server = try await Self.shared.value
        let url = server.url()
        #expect(url.hasPrefix("postgres://assets:"))
        #expect(url.hasSuffix("@127.0.0.1:\(server.port)/assets?sslmode=disable"))
        // The password has characters a URL must escape, and the URL escapes them.
        #expect(server.password.contains { "/@%:".contains($0) })
        #expect(!url.contains(server.password))

        let right = try await Self.client(url, "SELECT current_user || ' ' || current_database()")
        #expect(right.status == 0, "\(right.stderrText)")
        #expect(right.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "assets assets")
        // Over TCP the server asked for the password (scram-sha-256): no trust there.
        #expect(try await server.psql("SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host'") == "scram-sha-256")

        let wrong = "postgres://assets:not-the-password@127.0.0.1:\(server.port)/assets?sslmode=disable"
        let refused = try await Self.client(wrong, "SELECT 1")
        #expect(refused.status != 0)
        #expect(refused.stderrText.contains("password authentication failed"), "\(refused.stderrText)")

        let superuserOverTCP = try await Self.client("postgres://postgres@127.0.0.1:\(server.port)/assets?sslmode=disable", "SELECT 1")
        #expect(superuserOverTCP.status != 0)
    }

    @Test func createDatabaseGivesAnEmptyDatabaseOwnedByAssets() async throws {
        let server = try await Self.shared.value
        let first = try await server.createDatabase()
        let second = try await server.createDatabase()
        #expect(first != second)
        #expect(try await server.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '\(first)'") == "assets")
        let tables = try await Self.client(server.url(database: first), "CREATE TABLE t (x int); INSERT INTO t VALUES (7); SELECT x FROM t")
        #expect(tables.status == 0, "\(tables.stderrText)")
        #expect(tables.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "7")
        #expect(try await server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: second) == "0")
    }

    @Test func aFailingStatementThrowsWithoutThePassword() async throws {
        let server = try await Self.shared.value
        let error = await #expect(throws: ServiceProcessError.self) {
            try await server.psql("SELECT * FROM no_such_table")
        }
        #expect(error?.message.contains("no_such_table") == true)
        #expect(error?.message.contains(server.password) == false)
    }

    @Test func stopRefusesConnectionsAndRestartKeepsTheData() async throws {
        let server = try await PostgresServer.start()
        defer { server.shutdown() }
        let created = try await Self.client(server.url(), "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('before the stop')")
        #expect(created.status == 0, "\(created.stderrText)")
        let port = server.port
        let before = try #require(server.processID)

        try await server.stop()
        #expect(server.processID == nil)
        #expect(throws: (any Error).self) { try RawConnection(port: port) }
        #expect(Self.processesOf(before).isEmpty)
        await #expect(throws: ServiceProcessError.self) { try await server.psql("SELECT 1") }

        try await server.restart()
        #expect(server.port == port)
        #expect(try await server.psql("SELECT note FROM kept") == "before the stop")
        let viaURL = try await Self.client(server.url(), "SELECT count(*) FROM kept")
        #expect(viaURL.status == 0, "\(viaURL.stderrText)")
        #expect(viaURL.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "1")

        // A second stop and start, as a test that restarts a dependency more than once would.
        try await server.restart()
        #expect(try await server.psql("SELECT count(*) FROM kept") == "1")
    }

    @Test func shutdownLeavesNoProcessAndNoFolder() async throws {
        let server = try await PostgresServer.start()
        let pid = try #require(server.processID)
        let port = server.port
        let folder = server.dataDirectory.deletingLastPathComponent()
        #expect(Self.processesOf(pid).count > 1)  // the postmaster and its helpers
        server.shutdown()
        #expect(Self.processesOf(pid).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        #expect(throws: (any Error).self) { try RawConnection(port: port) }
        server.shutdown()  // again: nothing left to do
        await #expect(throws: ServiceProcessError.self) { try await server.restart() }
    }
}
