import AssetTransport
import Foundation
import TestSupport
import Testing

/// A fleet on loopback: several real `assets serve` processes, each with a store of its own,
/// sharing one PostgreSQL catalog and one moto bucket, in front of one `assets mock-server`
/// standing in for the paid API (its counters count the calls the fleet made).
final class Fleet: @unchecked Sendable {
    static let bucket = "fleet"
    static let moto = Task { try await MotoServer.start(buckets: [bucket]) }
    static let postgres = Task { try await PostgresServer.start() }

    let folder = TemporaryDirectory("fleet")
    let assets = Repository.product("assets")
    let postgres: PostgresServer
    let database: String
    let moto: MotoServer
    let prefix = "p\(UUID().uuidString.prefix(8).lowercased())"
    let mock: BackgroundProcess
    let mockBase: URL
    let apiKey = "fleet-api-key-\(UUID().uuidString.prefix(8))"
    var servers: [Server] = []

    struct Server {
        let process: BackgroundProcess
        let base: URL
        let store: URL
    }

    static var isAvailable: Bool { PostgresServer.isAvailable && MotoServer.isAvailable }

    init() async throws {
        postgres = try await Self.postgres.value
        database = try await postgres.createDatabase()
        moto = try await Self.moto.value
        mock = try BackgroundProcess(assets, ["mock-server", "--port", "0"])
        let line = try await mock.firstLine()
        guard let match = line.wholeMatch(of: /listening on (http:\/\/127\.0\.0\.1:\d+)/), let url = URL(string: String(match.1)) else {
            throw BackgroundProcessError(message: "mock-server said: \(line)")
        }
        mockBase = url
    }

    deinit {
        for server in servers where server.process.isRunning { Task { [process = server.process] in _ = await process.terminate() } }
    }

    /// The shared tier's settings, as an operator would set them.
    func environment(_ extra: [String: String?] = [:]) -> [String: String?] {
        var environment: [String: String?] = [
            "ASSETS_SHARED_CATALOG": postgres.url(database: database),
            "ASSETS_SHARED_BLOBS": "s3://\(Self.bucket)/\(prefix)?endpoint=\(moto.endpoint.absoluteString)&region=us-east-1",
            "AWS_ACCESS_KEY_ID": moto.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": moto.secretAccessKey,
            "AWS_SESSION_TOKEN": nil,
            "AILAB_API_KEY": apiKey,
            "ASSETS_CLIENT_KEYS": "client-1",
            "ASSETS_BACKEND": nil,
            "ASSETS_SHARED_LEASE_TTL": nil,
            "ASSETS_SHARED_OUTAGE": nil,
        ]
        for (name, value) in extra { environment[name] = value }
        return environment
    }

    /// Starts one more `assets serve` with an empty store of its own.
    @discardableResult
    func startServer(_ extra: [String: String?] = [:]) async throws -> Server {
        let store = folder.path("store-\(servers.count)-\(UUID().uuidString.prefix(4))")
        let process = try BackgroundProcess(assets, [
            "serve", "--port", "0", "--backend", "remote", "--api-base", mockBase.absoluteString, "--store", store.path,
        ], environment: environment(extra))
        let line = try await process.firstLine()
        guard let match = line.wholeMatch(of: /listening on (http:\/\/127\.0\.0\.1:\d+)/), let base = URL(string: String(match.1)) else {
            throw BackgroundProcessError(message: "serve said: \(line) \(process.stderrSoFar)")
        }
        let server = Server(process: process, base: base, store: store)
        servers.append(server)
        return server
    }

    /// Uploads `photo` as the official SDK does; returns the status and the answer's body.
    func upload(_ photo: Data, to server: Server) async throws -> (status: Int, body: String) {
        let answer = try await CurlTransport().send(HTTPRequest(
            method: "POST", url: server.base.appendingPathComponent("api/cutout/portrait/avatar-extraction"),
            headers: [HTTPHeader("ailabapi-api-key", "client-1")],
            body: .multipart([MultipartPart(name: "image", content: .data(photo, filename: "photo.jpg", contentType: "image/jpeg"))])
        ))
        return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }

    /// The result paths (`/blobs/<sha256>.png`) in an answer.
    static func blobPaths(_ body: String) -> [String] {
        body.matches(of: /\/blobs\/[0-9a-f]{64}\.png/).map { String($0.output) }
    }

    func get(_ path: String, from server: Server) async throws -> (status: Int, body: Data) {
        let answer = try await CurlTransport().send(HTTPRequest(url: URL(string: server.base.absoluteString + path)!))
        return (answer.status, answer.body)
    }

    /// Extraction calls the mock API has answered.
    func upstreamCalls() async throws -> Int {
        let answer = try await CurlTransport().send(HTTPRequest(url: mockBase.appendingPathComponent("__mock/counters")))
        let counters = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        return counters?["extractionCalls"] as? Int ?? -1
    }

    func setLatency(milliseconds: Int) async throws {
        let answer = try await CurlTransport().send(HTTPRequest(
            method: "PUT", url: mockBase.appendingPathComponent("__mock/faults"),
            headers: [HTTPHeader("Content-Type", "application/json")],
            body: .bytes(Data("{\"latencyMilliseconds\":\(milliseconds)}".utf8))
        ))
        guard answer.status == 200 else { throw BackgroundProcessError(message: "PUT /__mock/faults: \(answer.status)") }
    }

    /// `assets cache stats --json` with the shared tier, as an object.
    func stats(store: URL) async throws -> [String: Any] {
        let result = try await ChildProcess.run(assets, ["cache", "stats", "--json", "--store", store.path], environment: environment())
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] else {
            throw BackgroundProcessError(message: "cache stats: \(result.status) \(result.stderrText)")
        }
        return object
    }

    func stopAll() async -> String {
        var logs = ""
        for server in servers where server.process.isRunning {
            logs += await server.process.terminate().stderr
        }
        _ = await mock.terminate()
        return logs
    }
}

@Suite(.serialized, .enabled(if: Fleet.isAvailable, "PostgreSQL or moto_server is missing, so the fleet tests are skipped; .ci/run installs both and runs them"))
struct FleetTests {
    @Test func concurrentIdenticalUploadsOverThreeServersMakeOneCall() async throws {
        let fleet = try await Fleet()
        try await fleet.setLatency(milliseconds: 800)
        let servers = [try await fleet.startServer(), try await fleet.startServer(), try await fleet.startServer()]
        let photo = try FixturePhotos.distinct(1)[0]
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<30 {
                group.addTask { try await fleet.upload(photo, to: servers[index % 3]) }
            }
            var all: [(Int, String)] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        #expect(answers.allSatisfy { $0.0 == 200 }, "\(answers.filter { $0.0 != 200 }.prefix(2))")
        #expect(try await fleet.upstreamCalls() == 1, "one call for the whole fleet")
        let heads = Set(answers.map { Fleet.blobPaths($0.1) })
        #expect(heads.count == 1, "every server answers with the same heads")

        let stats = try await fleet.stats(store: servers[0].store)
        let shared = try #require(stats["shared"] as? [String: Any])
        #expect(shared["entries"] as? Int == 1)
        #expect(shared["paid_calls"] as? Int == 1)
        #expect(shared["double_paid"] as? Int == 0)
        let logs = await fleet.stopAll()
        #expect(!logs.contains(fleet.moto.secretAccessKey) && !logs.contains(fleet.postgres.password) && !logs.contains(fleet.apiKey))
    }

    @Test func oneServersResultURLDownloadsFromAnotherAndANewServerPaysNothing() async throws {
        let fleet = try await Fleet()
        let a = try await fleet.startServer()
        let b = try await fleet.startServer()
        let photo = try FixturePhotos.distinct(2)[1]
        let first = try await fleet.upload(photo, to: a)
        #expect(first.status == 200)
        let path = try #require(Fleet.blobPaths(first.body).first)
        let fromA = try await fleet.get(path, from: a)
        let fromB = try await fleet.get(path, from: b)
        #expect(fromA.status == 200 && fromB.status == 200)
        #expect(fromA.body == fromB.body)
        #expect(path.contains(SHA256Hex.of(fromB.body)), "the bytes match their name")

        // A server that joins later, with an empty store, answers the known photo for free.
        let c = try await fleet.startServer()
        let again = try await fleet.upload(photo, to: c)
        #expect(again.status == 200)
        #expect(Fleet.blobPaths(again.body) == Fleet.blobPaths(first.body))
        #expect(try await fleet.upstreamCalls() == 1)
        let stats = try await fleet.stats(store: c.store)
        let shared = try #require(stats["shared"] as? [String: Any])
        #expect(shared["calls_saved"] as? Int == 1)
        #expect(shared["credits_saved"] as? Int == 1)
        _ = await fleet.stopAll()
    }

    @Test func aCorruptObjectInTheBucketIsNeverServed() async throws {
        let fleet = try await Fleet()
        let a = try await fleet.startServer()
        let photo = try FixturePhotos.distinct(3)[2]
        let first = try await fleet.upload(photo, to: a)
        #expect(first.status == 200)
        let path = try #require(Fleet.blobPaths(first.body).first)
        let hash = String(path.dropFirst("/blobs/".count).prefix(64))
        try await fleet.moto.putObject(bucket: Fleet.bucket, key: "\(fleet.prefix)/\(hash.prefix(2))/\(hash)", data: Data("not the head".utf8))

        // Its URL on a server that lacks it: never the corrupt bytes.
        let b = try await fleet.startServer()
        let blob = try await fleet.get(path, from: b)
        #expect(blob.status == 404)
        // The photo on a new server: paid again rather than answered with a corrupt head.
        let c = try await fleet.startServer()
        let again = try await fleet.upload(photo, to: c)
        #expect(again.status == 200)
        let head = try #require(Fleet.blobPaths(again.body).first)
        let bytes = try await fleet.get(head, from: c)
        #expect(bytes.status == 200)
        #expect(head.contains(SHA256Hex.of(bytes.body)))
        #expect(try await fleet.upstreamCalls() == 2)
        _ = await fleet.stopAll()
    }

    @Test func postgreSQLStoppedAndStartedMidRun() async throws {
        let fleet = try await Fleet()
        let fallBack = try await fleet.startServer()
        let refuse = try await fleet.startServer(["ASSETS_SHARED_OUTAGE": "refuse"])
        let photos = try FixturePhotos.distinct(7).suffix(3).map { $0 }
        #expect(try await fleet.upload(photos[0], to: fallBack).status == 200)

        try await fleet.postgres.stop()
        // Hits in L1 are always answered.
        #expect(try await fleet.upload(photos[0], to: fallBack).status == 200)
        // A miss: answered from this host alone, or refused, as each server's policy says.
        let alone = try await fleet.upload(photos[1], to: fallBack)
        #expect(alone.status == 200)
        let refused = try await fleet.upload(photos[2], to: refuse)
        #expect(refused.status == 503)
        #expect(refused.body.contains("SHARED_TIER_UNAVAILABLE"))
        #expect(!refused.body.contains(fleet.postgres.password))

        try await fleet.postgres.restart()
        // Both recover without a restart (the breaker tries the tier again within seconds).
        var recovered = false
        for _ in 0..<40 where !recovered {
            let answer = try await fleet.upload(photos[2], to: refuse)
            recovered = answer.status == 200
            if !recovered { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(recovered)
        // The answer made during the outage is published once the tier is back (by the server
        // that made it, in the background): a new server pays nothing for it.
        var published = ""
        for _ in 0..<60 where published != "3" {
            published = try await fleet.postgres.psql("SELECT count(*) FROM assets_shared_extractions", database: fleet.database).trimmingCharacters(in: .whitespacesAndNewlines)
            if published != "3" { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(published == "3")
        let calls = try await fleet.upstreamCalls()
        let late = try await fleet.startServer()
        #expect(try await fleet.upload(photos[1], to: late).status == 200)
        #expect(try await fleet.upstreamCalls() == calls)
        _ = await fleet.stopAll()
    }

    @Test func anAnswerACLIRunMadeDuringAnOutageIsPublishedByTheNextRunOnItsStore() async throws {
        let fleet = try await Fleet()
        let photos = try FixturePhotos.distinct(12).suffix(2).map { $0 }
        let files = try photos.enumerated().map { index, photo in
            let file = fleet.folder.path("outage-\(index).jpg")
            try photo.write(to: file)
            return file
        }
        let store = fleet.folder.path("laptop")
        let outbox = store.appendingPathComponent("shared-outbox")
        func extract(_ file: URL, store: URL) async throws -> ProcessResult {
            try await ChildProcess.run(fleet.assets, [
                "extract", file.path, "--json", "--backend", "remote", "--api-base", fleet.mockBase.absoluteString,
                "--store", store.path, "--out", fleet.folder.path("out-\(UUID().uuidString.prefix(6))").path,
            ], environment: fleet.environment())
        }
        func unpublished() async throws -> Int? {
            let stats = try await ChildProcess.run(fleet.assets, ["cache", "stats", "--json", "--store", store.path], environment: fleet.environment())
            return (try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])?["unpublished"] as? Int
        }
        func published() async throws -> String {
            try await fleet.postgres.psql("SELECT count(*) FROM assets_shared_extractions", database: fleet.database).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        try await fleet.postgres.stop()
        let during = try await extract(files[0], store: store)
        #expect(during.status == 0, "\(during.stderrText)")
        #expect(during.stdoutText.contains("\"cache\":\"miss\""))
        #expect(!during.stderrText.contains(fleet.postgres.password))
        // The run ended before the tier came back: its answer is marked in its store.
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox.path).count == 1)

        try await fleet.postgres.restart()
        #expect(try await unpublished() == 1, "cache stats counts what waits")
        // The next run on that store publishes it, beside its own work, before it exits.
        let after = try await extract(files[1], store: store)
        #expect(after.status == 0, "\(after.stderrText)")
        #expect(try await published() == "2")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox.path).isEmpty)
        #expect(try await unpublished() == 0)
        // Another host pays nothing for the photo of the outage.
        let calls = try await fleet.upstreamCalls()
        #expect(calls == 2)
        let elsewhere = try await extract(files[0], store: fleet.folder.path("desktop"))
        #expect(elsewhere.status == 0 && elsewhere.stdoutText.contains("\"cache\":\"hit\""), "\(elsewhere.stdoutText) \(elsewhere.stderrText)")
        #expect(try await fleet.upstreamCalls() == calls)
        _ = await fleet.stopAll()
    }

    @Test func theOwnerOfAPaidCallKilledWithSIGKILLIsTakenOver() async throws {
        let fleet = try await Fleet()
        try await fleet.setLatency(milliseconds: 4000)
        let ttl: [String: String?] = ["ASSETS_SHARED_LEASE_TTL": "3"]
        let owner = try await fleet.startServer(ttl)
        let other = try await fleet.startServer(ttl)
        let photo = try FixturePhotos.distinct(9)[8]
        let doomed = Task { try? await fleet.upload(photo, to: owner) }
        // Once the owner's call is in flight upstream, it dies without a word.
        for _ in 0..<40 where try await fleet.upstreamCalls() == 0 { try await Task.sleep(for: .milliseconds(100)) }
        await owner.process.kill()
        _ = await doomed.value
        try await fleet.setLatency(milliseconds: 0)
        let answer = try await fleet.upload(photo, to: other)
        #expect(answer.status == 200)
        #expect(try await fleet.upstreamCalls() == 2, "the dead owner's call, and the one that took over")
        let ledger = try await fleet.postgres.psql("SELECT outcome FROM assets_shared_paid_calls ORDER BY id", database: fleet.database)
        #expect(ledger.split(separator: "\n").map(String.init) == ["running", "answered"])
        _ = await fleet.stopAll()
    }

    @Test func oneHalfOfTheSharedTierIsAConfigurationError() async throws {
        let fleet = try await Fleet()
        let store = fleet.folder.path("half")
        let photo = fleet.folder.path("photo.jpg")
        try FixturePhotos.distinct(1)[0].write(to: photo)
        for unset in ["ASSETS_SHARED_CATALOG", "ASSETS_SHARED_BLOBS"] {
            let result = try await ChildProcess.run(fleet.assets, ["extract", photo.path, "--backend", "mock", "--store", store.path, "--out", fleet.folder.path("out").path], environment: fleet.environment([unset: nil]))
            #expect(result.status == 2)
            #expect(result.stderrText.hasPrefix("Error: ") && result.stderrText.split(separator: "\n").count == 1)
            #expect(!result.stderrText.contains(fleet.postgres.password) && !result.stderrText.contains(fleet.moto.secretAccessKey))
        }
        // A wrong password: exit 2 before any call, the password in no message.
        let wrong = fleet.environment(["ASSETS_SHARED_CATALOG": "postgres://assets:Wr0ngPassw0rd@127.0.0.1:\(fleet.postgres.port)/\(fleet.database)?sslmode=disable"])
        let refused = try await ChildProcess.run(fleet.assets, ["extract", photo.path, "--backend", "mock", "--store", store.path, "--out", fleet.folder.path("out").path], environment: wrong)
        #expect(refused.status == 2)
        #expect(!refused.stderrText.contains("Wr0ngPassw0rd"))
        // The catalog from a file: extract works through the tier, and a second store pays nothing.
        let file = fleet.folder.path("catalog-url")
        try Data("# the fleet's catalog\n\(fleet.postgres.url(database: fleet.database))\n".utf8).write(to: file)
        var environment = fleet.environment(["ASSETS_SHARED_CATALOG": nil])
        environment["ASSETS_BACKEND"] = nil
        for (index, folder) in ["one", "two"].enumerated() {
            let result = try await ChildProcess.run(fleet.assets, [
                "extract", photo.path, "--json", "--backend", "remote", "--api-base", fleet.mockBase.absoluteString,
                "--shared-catalog-file", file.path, "--store", fleet.folder.path(folder).path, "--out", fleet.folder.path("out-\(folder)").path,
            ], environment: environment)
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains(index == 0 ? "\"cache\":\"miss\"" : "\"cache\":\"hit\""))
        }
        #expect(try await fleet.upstreamCalls() == 1)
        let catalogFiles = try FileManager.default.subpathsOfDirectory(atPath: fleet.folder.path("one").path)
        for name in catalogFiles {
            let data = (try? Data(contentsOf: fleet.folder.path("one").appendingPathComponent(name))) ?? Data()
            #expect(data.range(of: Data(fleet.postgres.password.utf8)) == nil && data.range(of: Data(fleet.moto.secretAccessKey.utf8)) == nil, "no secret in \(name)")
        }
        _ = await fleet.stopAll()
    }

    @Test func cacheGCSharedRemovesOldAnswersThenTheirObjects() async throws {
        let fleet = try await Fleet()
        let a = try await fleet.startServer()
        // Two photos of different pixels, so that their heads are two objects.
        let photos = try ["grace_hopper.jpg", "astronaut.png"].map { try Data(contentsOf: Repository.fixture($0)) }
        for photo in photos { #expect(try await fleet.upload(photo, to: a).status == 200) }
        let keys = try await fleet.moto.keys(bucket: Fleet.bucket, prefix: fleet.prefix + "/")
        #expect(keys.count == 2)
        // One answer unused for two days; the other used now.
        _ = try await fleet.postgres.psql("""
            UPDATE assets_shared_extractions SET last_used_at = now() - interval '2 days'
            WHERE action_key = (SELECT action_key FROM assets_shared_extractions ORDER BY created_at LIMIT 1)
            """, database: fleet.database)
        let store = fleet.folder.path("gc-store")
        let kept = try await ChildProcess.run(fleet.assets, ["cache", "gc", "--shared", "--older-than", "1d", "--json", "--store", store.path], environment: fleet.environment())
        #expect(kept.status == 0, "\(kept.stderrText)")
        #expect(kept.stdoutText.contains("\"entries_removed\":1") && kept.stdoutText.contains("\"objects_removed\":0") && kept.stdoutText.contains("\"objects_kept\":1"), "young objects are kept: \(kept.stdoutText)")
        let swept = try await ChildProcess.run(fleet.assets, ["cache", "gc", "--shared", "--older-than", "1d", "--grace", "0s", "--json", "--store", store.path], environment: fleet.environment())
        #expect(swept.stdoutText.contains("\"entries_removed\":0") && swept.stdoutText.contains("\"objects_removed\":1"), "\(swept.stdoutText)")
        #expect(try await fleet.moto.keys(bucket: Fleet.bucket, prefix: fleet.prefix + "/").count == 1)
        // Without an age, nothing is removed.
        let refused = try await ChildProcess.run(fleet.assets, ["cache", "gc", "--shared", "--store", store.path], environment: fleet.environment())
        #expect(refused.status == 64)
        // The answer still there is still served to a new server for free.
        let calls = try await fleet.upstreamCalls()
        let b = try await fleet.startServer()
        #expect(try await fleet.upload(photos[1], to: b).status == 200)
        #expect(try await fleet.upstreamCalls() == calls)
        _ = await fleet.stopAll()
    }

    @Test func aHitInAServersOwnStoreMarksTheSharedAnswerUsed() async throws {
        let fleet = try await Fleet()
        let a = try await fleet.startServer()
        let photo = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        #expect(try await fleet.upload(photo, to: a).status == 200)
        _ = try await fleet.postgres.psql("UPDATE assets_shared_extractions SET last_used_at = now() - interval '2 days'", database: fleet.database)
        #expect(try await fleet.upload(photo, to: a).status == 200)
        var fresh = ""
        for _ in 0..<40 where fresh != "t" {
            fresh = try await fleet.postgres.psql("SELECT last_used_at > now() - interval '1 hour' FROM assets_shared_extractions", database: fleet.database)
            if fresh != "t" { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(fresh == "t", "so gc --shared does not remove an answer the fleet still uses")
        _ = await fleet.stopAll()
    }
}
