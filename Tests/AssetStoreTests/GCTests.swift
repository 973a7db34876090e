import AssetStore
import Foundation
import Testing
import TestSupport

@Suite struct GCTests {
    let folder = TemporaryDirectory("gc")

    @Test func aCrashBetweenRenameAndCommitLeavesAnOrphanThatGCSweepsAfterAnHour() throws {
        let store = try Store(at: folder.url)
        let identity = ExtractionIdentity(actionKey: ContentHash.of("crash"), inputKey: ContentHash.of("in"), operation: "avatar-extraction", options: "", namespace: "test", inputSize: 1)
        try store.catalog.recordPending(identity, requestID: nil, logID: nil, elements: [.init(position: 0, sourceURL: "http://127.0.0.1/r.png", width: 1, height: 1, x: 0, y: 0)])
        struct Crash: Error {}
        var placed: ContentHash?
        #expect(throws: Crash.self) {
            try store.catalog.complete(identity.actionKey) {
                placed = try store.blobs.put(Data("result that was renamed into place".utf8)).hash
                throw Crash()  // the process dies before the catalog commit
            }
        }
        let orphan = try #require(placed)
        #expect(store.blobs.contains(orphan), "the renamed file is on disk")
        let entry = try #require(try store.catalog.entry(for: identity.actionKey))
        #expect(entry.state == .pending, "no row claims a result it does not have")
        #expect(entry.elements.allSatisfy { $0.blobKey == nil })
        #expect(try store.verify().isClean)

        let young = try store.gc()
        #expect(young.sweptOrphans == 0, "a young orphan may be a write in progress")
        #expect(store.blobs.contains(orphan))

        try backdate(store.blobs.url(for: orphan), by: 3700)
        let old = try store.gc()
        #expect(old.sweptOrphans == 1)
        #expect(!store.blobs.contains(orphan))
    }

    @Test func staleTemporaryFilesAreSweptAndFreshOnesKept() throws {
        let store = try Store(at: folder.url)
        let stale = store.temporaryFolder.appendingPathComponent("download-1")
        let fresh = store.temporaryFolder.appendingPathComponent("download-2")
        try Data("partial".utf8).write(to: stale)
        try Data("partial".utf8).write(to: fresh)
        try backdate(stale, by: 7200)
        let report = try store.gc()
        #expect(report.sweptTemporaryFiles == 1)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: fresh.path))
    }

    @Test func maxSizeEvictsLeastRecentlyUsedFirst() throws {
        let store = try Store(at: folder.url)
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        // Stored oldest first; then "a" is used again, so "b" becomes the least recently used.
        let a = try storeExtraction(store, name: "a", results: [Data(repeating: 1, count: 1000)], now: base)
        let b = try storeExtraction(store, name: "b", results: [Data(repeating: 2, count: 1000)], now: base.addingTimeInterval(10))
        let c = try storeExtraction(store, name: "c", results: [Data(repeating: 3, count: 1000)], now: base.addingTimeInterval(20))
        try store.recordHit(a.actionKey, savedCredit: true)
        try store.flushHits()

        let bytesPerEntry: Int64 = 1000 + 22  // the result plus the raw response body
        let report = try store.gc(maxSize: 2 * bytesPerEntry)
        #expect(report.evictedEntries == 1)
        #expect(try store.catalog.entry(for: b.actionKey) == nil)
        #expect(try store.catalog.entry(for: a.actionKey) != nil)
        #expect(try store.catalog.entry(for: c.actionKey) != nil)
        #expect(!store.blobs.contains(ContentHash.of(Data(repeating: 2, count: 1000))))
        #expect(report.remainingBytes <= 2 * bytesPerEntry)

        let next = try store.gc(maxSize: bytesPerEntry)
        #expect(next.evictedEntries == 1)
        #expect(try store.catalog.entry(for: c.actionKey) == nil)
        #expect(try store.catalog.entry(for: a.actionKey) != nil)

        let all = try store.gc(maxSize: 0)
        #expect(all.evictedEntries == 1)
        #expect(try store.stats().entries == 0)
        #expect(try store.stats().blobs == 0)
        #expect(store.blobs.enumerateFiles().isEmpty)
    }

    @Test func aBlobSharedByTwoExtractionsOutlivesTheFirstEviction() throws {
        let store = try Store(at: folder.url)
        let shared = Data(repeating: 9, count: 500)
        let old = try storeExtraction(store, name: "old", results: [shared], now: Date(timeIntervalSince1970: 1))
        try storeExtraction(store, name: "new", results: [shared], now: Date())
        let report = try store.gc(olderThan: 86_400)
        #expect(report.evictedEntries == 1)
        #expect(try store.catalog.entry(for: old.actionKey) == nil)
        #expect(store.blobs.contains(ContentHash.of(shared)))
        #expect(try store.verify().isClean)
    }

    @Test func olderThanEvictsOnlyWhatWasNotUsedForThatLong() throws {
        let store = try Store(at: folder.url)
        let now = Date()
        try storeExtraction(store, name: "month", results: [Data("m".utf8)], now: now.addingTimeInterval(-31 * 86_400))
        try storeExtraction(store, name: "week", results: [Data("w".utf8)], now: now.addingTimeInterval(-7 * 86_400))
        let report = try store.gc(olderThan: Quantity.age("30d")!, now: now)
        #expect(report.evictedEntries == 1)
        #expect(try store.stats().entries == 1)
        #expect(try store.catalog.entry(for: ContentHash.of("action week")) != nil)
    }

    @Test func sizesAndAgesParseAsPeopleWriteThem() {
        #expect(Quantity.bytes("0") == 0)
        #expect(Quantity.bytes("1048576") == 1_048_576)
        #expect(Quantity.bytes("500M") == 524_288_000)
        #expect(Quantity.bytes("2G") == 2_147_483_648)
        #expect(Quantity.bytes("1.5K") == 1536)
        #expect(Quantity.bytes("2GB") == 2_147_483_648)
        #expect(Quantity.bytes("5X") == nil)
        #expect(Quantity.bytes("-1") == nil)
        #expect(Quantity.age("30d") == 2_592_000)
        #expect(Quantity.age("12h") == 43_200)
        #expect(Quantity.age("90m") == 5400)
        #expect(Quantity.age("30") == nil)
    }
}
