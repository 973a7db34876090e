import AssetStore
import Foundation
import SharedTier
import TestSupport
import Testing

/// One PostgreSQL server for the suite; each test has a database of its own.
enum SharedPostgres {
    static let server = Task { try await PostgresServer.start() }

    static func catalog(host: String = "host-a", timeout: Duration = .seconds(5)) async throws -> (PostgresCatalog, PostgresServer, String) {
        let server = try await server.value
        let database = try await server.createDatabase()
        var options = PostgresCatalog.Options()
        options.callTimeout = timeout
        let catalog = PostgresCatalog(location: try PostgresLocation(parsing: server.url(database: database)), host: host, options: options)
        return (catalog, server, database)
    }

    static func entry(_ key: ContentHash, heads: Int = 1, host: String = "host-a") -> SharedEntry {
        let identity = ExtractionIdentity(
            actionKey: key, inputKey: ContentHash.of("input " + key.hex), operation: "avatar-extraction",
            options: "return_form=", namespace: "ailabtools", inputSize: 1234
        )
        let elements = (0..<heads).map { position in
            SharedEntry.Element(position: position, blobKey: ContentHash.of("head \(position) \(key.hex)"), blobSize: 100 + Int64(position), width: 10, height: 20, x: position, y: 2)
        }
        return SharedEntry(identity: identity, state: .ok, requestID: "req-1", elements: elements, host: host)
    }
}

@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "PostgreSQL (initdb, postgres) is not installed, so the shared catalog's tests are skipped; .ci/run installs postgresql-15 and runs them"))
struct PostgresCatalogTests {
    @Test func anAnswerPublishedIsReadBackWithItsHeadsInOrder() async throws {
        let (catalog, _, _) = try await SharedPostgres.catalog()
        defer { Task { await catalog.shutdown() } }
        let key = ContentHash.of("photo 1")
        #expect(try await catalog.entry(for: key) == nil)
        let entry = SharedPostgres.entry(key, heads: 3)
        #expect(try await catalog.publish(entry))
        let read = try #require(try await catalog.entry(for: key))
        #expect(read == entry)
        // A second publish keeps the first answer.
        var other = entry
        other.requestID = "req-2"
        #expect(try await catalog.publish(other) == false)
        #expect(try await catalog.entry(for: key)?.requestID == "req-1")
    }

    @Test func tenCatalogsStartingAtOnceMigrateOnce() async throws {
        let server = try await SharedPostgres.server.value
        let database = try await server.createDatabase()
        let url = server.url(database: database)
        let catalogs = try (0..<10).map { PostgresCatalog(location: try PostgresLocation(parsing: url), host: "host-\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for catalog in catalogs {
                group.addTask { _ = try await catalog.entry(for: ContentHash.of("warm-up")) }
            }
            try await group.waitForAll()
        }
        let applied = try await server.psql("SELECT count(*) FROM assets_shared_migrations", database: database)
        #expect(applied.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        for catalog in catalogs { await catalog.shutdown() }
    }

    @Test func aDatabaseMigratedByANewerBuildIsRefused() async throws {
        let (catalog, server, database) = try await SharedPostgres.catalog()
        _ = try await catalog.entry(for: ContentHash.of("x"))
        await catalog.shutdown()
        _ = try await server.psql("INSERT INTO assets_shared_migrations (name) VALUES ('9999_from_the_future')", database: database)
        let fresh = PostgresCatalog(location: try PostgresLocation(parsing: server.url(database: database)))
        defer { Task { await fresh.shutdown() } }
        let error = await #expect(throws: SharedTierError.self) { try await fresh.entry(for: ContentHash.of("x")) }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("9999_from_the_future") == true)
    }

    @Test func oneHostHoldsALeaseUntilItExpiresThenAnotherTakesItOver() async throws {
        let (a, server, database) = try await SharedPostgres.catalog(host: "host-a")
        let b = PostgresCatalog(location: try PostgresLocation(parsing: server.url(database: database)), host: "host-b")
        defer { Task { await a.shutdown(); await b.shutdown() } }
        let key = ContentHash.of("photo lease")
        guard case .owned(let lease) = try await a.claim(key, ttl: .seconds(1)) else {
            Issue.record("the first claim is not owned")
            return
        }
        guard case .held(let holder, _) = try await b.claim(key, ttl: .seconds(1)) else {
            Issue.record("a second host took a live lease")
            return
        }
        #expect(holder == "host-a")
        // A heartbeat keeps it.
        #expect(try await a.heartbeat(lease, ttl: .seconds(1)))
        try await Task.sleep(for: .milliseconds(1300))
        guard case .owned(let takenOver) = try await b.claim(key, ttl: .seconds(30)) else {
            Issue.record("an expired lease was not taken over")
            return
        }
        #expect(takenOver.token != lease.token)
        // The old holder's heartbeat and release no longer touch it.
        #expect(try await a.heartbeat(lease, ttl: .seconds(30)) == false)
        try await a.release(lease)
        let left = try await server.psql("SELECT host FROM assets_shared_leases", database: database)
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "host-b")
    }

    @Test func publishingReleasesTheLeaseEndsTheCallAndWakesAWaiter() async throws {
        let (a, server, database) = try await SharedPostgres.catalog(host: "host-a")
        let b = PostgresCatalog(location: try PostgresLocation(parsing: server.url(database: database)), host: "host-b")
        defer { Task { await a.shutdown(); await b.shutdown() } }
        let key = ContentHash.of("photo notify")
        guard case .owned(let claimed) = try await a.claim(key, ttl: .seconds(60)) else {
            Issue.record("not owned")
            return
        }
        let lease = try await a.recordCallStart(claimed, namespace: "ailabtools")
        #expect(lease.callID != nil)
        // b listens (its first call starts the listener), then waits up to 20 s.
        _ = try await b.entry(for: key)
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let started = clock.now
        async let woke: Void = b.waitForAnswer(key, upTo: .seconds(20))
        try await Task.sleep(for: .milliseconds(200))
        try await a.publish(SharedPostgres.entry(key), releasing: lease)
        await woke
        #expect(clock.now - started < .seconds(10), "woken by NOTIFY, not by the 20 s limit")
        #expect(try await b.entry(for: key) != nil)
        let leases = try await server.psql("SELECT count(*) FROM assets_shared_leases", database: database)
        #expect(leases.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let outcome = try await server.psql("SELECT outcome FROM assets_shared_paid_calls", database: database)
        #expect(outcome.trimmingCharacters(in: .whitespacesAndNewlines) == "answered")
        let stats = try await b.stats(chargedNamespace: "ailabtools")
        #expect(stats.entries == 1 && stats.paidCalls == 1 && stats.doublePaid == 0 && stats.leases == 0)
    }

    @Test func sharedHitsAreCountedAsCallsSaved() async throws {
        let (catalog, _, _) = try await SharedPostgres.catalog()
        defer { Task { await catalog.shutdown() } }
        let key = ContentHash.of("photo hits")
        try await catalog.publish(SharedPostgres.entry(key, heads: 2))
        try await catalog.recordSharedHit(key)
        try await catalog.recordSharedHit(key)
        let stats = try await catalog.stats(chargedNamespace: "ailabtools")
        #expect(stats.entries == 1 && stats.blobs == 2 && stats.bytes == 201)
        #expect(stats.callsSaved == 2 && stats.creditsSaved == 2)
        #expect(try await catalog.stats(chargedNamespace: "other").creditsSaved == 0)
    }

    @Test func aWrongPasswordIsAConfigurationErrorThatNeverShowsThePassword() async throws {
        let server = try await SharedPostgres.server.value
        let wrong = "Wr0ng-pass-\(UUID().uuidString.prefix(8))"
        let location = try PostgresLocation(parsing: "postgres://assets:\(wrong)@127.0.0.1:\(server.port)/assets?sslmode=disable")
        let catalog = PostgresCatalog(location: location)
        defer { Task { await catalog.shutdown() } }
        let error = await #expect(throws: SharedTierError.self) { try await catalog.entry(for: ContentHash.of("x")) }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains(wrong) == false)
        #expect(error?.message.contains(server.password) == false)
        #expect("\(location)".contains(wrong) == false)
        #expect(String(reflecting: location).contains(wrong) == false)
    }

    @Test func aServerThatIsDownFailsWithinTheTimeoutAsTransient() async throws {
        let port = try ServiceProcess.freePort()
        var options = PostgresCatalog.Options()
        options.callTimeout = .seconds(2)
        let catalog = PostgresCatalog(location: try PostgresLocation(parsing: "postgres://assets:pw@127.0.0.1:\(port)/assets?sslmode=disable"), options: options)
        defer { Task { await catalog.shutdown() } }
        let error = await #expect(throws: SharedTierError.self) { try await catalog.entry(for: ContentHash.of("x")) }
        #expect(error?.kind == .transient)
        #expect(error?.code == SharedTierError.unavailableCode)
    }

    @Test func theCatalogComesBackAfterPostgreSQLRestarts() async throws {
        let (catalog, server, _) = try await SharedPostgres.catalog(timeout: .seconds(2))
        defer { Task { await catalog.shutdown() } }
        let key = ContentHash.of("photo restart")
        try await catalog.publish(SharedPostgres.entry(key))
        try await server.stop()
        await #expect(throws: SharedTierError.self) { try await catalog.entry(for: key) }
        try await server.restart()
        var found: SharedEntry?
        for _ in 0..<20 where found == nil {
            found = try? await catalog.entry(for: key)
            if found == nil { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(found != nil, "the same catalog object answers again without a restart")
    }
}

@Suite struct PostgresLocationTests {
    @Test func aURLIsParsedAndDescribedWithoutItsPassword() throws {
        let location = try PostgresLocation(parsing: "postgres://app:s%40cret%2Fpw@db.internal:6432/fleet?sslmode=require")
        #expect(location.host == "db.internal" && location.port == 6432 && location.user == "app" && location.database == "fleet")
        #expect(location.tls == .require)
        #expect(location.secrets == ["s@cret/pw"])
        #expect(location.description == "postgres://app@db.internal:6432/fleet")
        #expect(!String(reflecting: location).contains("cret"))
        #expect(!"\(Mirror(reflecting: location).children.map { "\($0.value)" })".contains("cret"))
    }

    @Test func theDefaultsAreLibpqs() throws {
        let location = try PostgresLocation(parsing: "postgresql://app@localhost")
        #expect(location.port == 5432 && location.database == "app" && location.tls == .prefer && location.secrets.isEmpty)
    }

    @Test(arguments: [
        "mysql://app:pw@host/db", "postgres://host/db", "postgres://app:pw@/db",
        "postgres://app:pw@host/db?sslmode=sometimes", "postgres://app:pw@host/db?foo=bar", "postgres://app:pw@host/a/b",
    ])
    func aBadURLIsAConfigurationErrorThatDoesNotRepeatIt(_ text: String) {
        #expect {
            try PostgresLocation(parsing: text)
        } throws: { error in
            guard let error = error as? SharedTierError else { return false }
            return error.kind == .configuration && !error.message.contains(":pw")
        }
    }
}
