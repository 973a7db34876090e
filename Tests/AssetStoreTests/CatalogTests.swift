import AssetStore
import Foundation
import GRDB
import Testing
import TestSupport

@Suite struct CatalogTests {
    let folder = TemporaryDirectory("catalog")

    @Test func anExtractionIsFoundByItsActionKeyWithItsElements() async throws {
        let store = try Store(at: folder.url)
        let results = [Data("head one".utf8), Data("head two".utf8)]
        let stored = try storeExtraction(store, name: "a", results: results)
        let found = try #require(try store.catalog.entry(for: ContentHash.of("action a")))
        #expect(found == stored)
        #expect(found.state == .ok)
        #expect(found.requestID == "req-a")
        #expect(found.elements.map(\.blobKey) == results.map { ContentHash.of($0) })
        #expect(found.elements.allSatisfy { $0.sourceURL == nil }, "temporary URLs are dropped once the blobs are stored")
        #expect(found.elements.map(\.x) == [0, 1])
        #expect(try store.catalog.entry(for: ContentHash.of("action b")) == nil)
    }

    @Test func aPendingAnswerKeepsItsResultURLsUntilCompleted() async throws {
        let store = try Store(at: folder.url)
        let identity = ExtractionIdentity(actionKey: ContentHash.of("k"), inputKey: ContentHash.of("i"), operation: "avatar-extraction", options: "return_form=mask", namespace: "ailabtools", inputSize: 5)
        try store.catalog.recordPending(identity, requestID: "r", logID: "l", elements: [.init(position: 0, sourceURL: "https://cdn.example/x.png", width: 3, height: 4, x: 5, y: 6)])
        let pending = try #require(try store.catalog.entry(for: identity.actionKey))
        #expect(pending.state == .pending)
        #expect(pending.elements.first?.sourceURL == "https://cdn.example/x.png")
        #expect(try store.stats().pending == 1)
        #expect(try store.stats().entries == 0)
    }

    @Test func aNegativeResultIsStoredWithItsCode() async throws {
        let store = try Store(at: folder.url)
        let identity = ExtractionIdentity(actionKey: ContentHash.of("n"), inputKey: ContentHash.of("i"), operation: "avatar-extraction", options: "", namespace: "ailabtools", inputSize: 5)
        try store.catalog.recordFailure(identity, code: "ERROR_NO_FACE_IN_FILE", message: "No face.", requestID: "r1", logID: nil)
        let entry = try #require(try store.catalog.entry(for: identity.actionKey))
        #expect(entry.state == .failed)
        #expect(entry.errorCode == "ERROR_NO_FACE_IN_FILE")
        #expect(try store.stats().negative == 1)
    }

    @Test func hitsUpdateCountsLastUsedAndCounters() async throws {
        let store = try Store(at: folder.url)
        let entry = try storeExtraction(store, name: "h", results: [Data("r".utf8)], now: Date(timeIntervalSince1970: 1_000_000))
        try store.recordHit(entry.actionKey, savedCredit: true)
        try store.recordHit(entry.actionKey, savedCredit: true)
        try store.flushHits()
        let after = try #require(try store.catalog.entry(for: entry.actionKey))
        #expect(after.hitCount == 2)
        #expect(after.lastUsedAt > entry.lastUsedAt)
        let stats = try store.stats()
        #expect(stats.hits == 2)
        #expect(stats.creditsSaved == 2)
    }

    @Test func aHitNeverWaitsForAnotherWriter() throws {
        let store = try Store(at: folder.url)
        let entry = try storeExtraction(store, name: "w", results: [Data("r".utf8)])
        try store.recordHit(entry.actionKey, savedCredit: true)

        // Another process holds the catalog's write lock past the moment the hit counts are due.
        let other = try DatabaseQueue(path: store.catalog.url.path)
        try other.inDatabase { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "COMMIT") }
            Thread.sleep(forTimeInterval: 1.1)
            // Returns at once, its write queued behind the lock (it used to wait out the busy
            // timeout, then fail the hit).
            try store.recordHit(entry.actionKey, savedCredit: false)
        }

        try store.flushHits()
        let stats = try store.stats()
        #expect(stats.hits == 2)
        #expect(stats.creditsSaved == 1)
        #expect(try store.catalog.entry(for: entry.actionKey)?.hitCount == 2)
    }

    @Test func countersAccumulate() async throws {
        let store = try Store(at: folder.url)
        try store.catalog.increment([.misses: 2, .upstreamCalls: 3, .retries: 1, .bytesDownloaded: 1000])
        try store.catalog.increment([.misses: 1])
        let stats = try store.stats()
        #expect(stats.misses == 3)
        #expect(stats.upstreamCalls == 3)
        #expect(stats.retries == 1)
        #expect(stats.bytesDownloaded == 1000)
    }

    @Test func statsCountEntriesBlobsAndBytes() async throws {
        let store = try Store(at: folder.url)
        let empty = try store.stats()
        #expect([empty.entries, empty.blobs, empty.bytes, empty.hits, empty.misses, empty.upstreamCalls] == [0, 0, 0, 0, 0, 0])
        try storeExtraction(store, name: "s", results: [Data(count: 100), Data(count: 50)])
        let stats = try store.stats()
        #expect(stats.entries == 1)
        // Two results plus the raw response body.
        #expect(stats.blobs == 3)
        #expect(stats.bytes == 150 + Int64("{\"request_id\":\"req-s\"}".utf8.count))
        let listing = try store.list()
        #expect(listing.count == 1)
        #expect(listing.first?.elements == 2)
        #expect(listing.first?.bytes == 150)
    }

    @Test func twoProcessesWritingOneStoreAtOnceLoseNothing() async throws {
        let writer = Repository.product("StoreWriter")
        try #require(FileManager.default.isExecutableFile(atPath: writer.path), "StoreWriter is built with the tests")
        let path = folder.url.path
        let started = try [("p1", 60), ("p2", 60)].map { prefix, count in
            (prefix, count, try Self.spawn(writer, [path, prefix, "\(count)"]))
        }
        var results: [(String, Int, Int32)] = []
        for (prefix, count, process) in started {
            await ChildProcess.wait(for: process)
            results.append((prefix, count, process.terminationStatus))
        }
        #expect(results.map(\.2) == [0, 0])
        let store = try Store(at: folder.url)
        for (prefix, count, _) in results {
            for index in 0..<count {
                let entry = try store.catalog.entry(for: ContentHash.of("\(prefix)-action-\(index)"))
                #expect(entry?.state == .ok, "\(prefix) #\(index)")
            }
        }
        let stats = try store.stats()
        #expect(stats.entries == 120)
        #expect(stats.blobs == 121, "120 own results plus the one both writers share")
        #expect(stats.misses == 120)
        #expect(try store.verify().isClean)
    }

    static func spawn(_ executable: URL, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        try process.run()
        return process
    }
}
