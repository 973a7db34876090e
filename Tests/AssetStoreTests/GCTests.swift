import AssetStore
import Foundation
import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
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

    @Test func aFailedGCTransactionDeletesNoFile() throws {
        let store = try Store(at: folder.url)
        let a = try storeExtraction(store, name: "a", results: [Data("result a".utf8)])
        let b = try storeExtraction(store, name: "b", results: [Data("result b".utf8)])
        try store.catalog.remove(a.actionKey)
        try store.catalog.remove(b.actionKey)
        // The catalog refuses gc's transaction once it has deleted some blob rows, as a full
        // disk refuses its commit.
        let queue = try DatabaseQueue(path: store.catalog.url.path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TRIGGER fail_gc AFTER DELETE ON blobs WHEN (SELECT count(*) FROM blobs) < 2
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
        #expect(throws: StoreError.self) { try store.gc() }
        let report = try store.verify()
        #expect(report.missingBlobs.isEmpty, "no row names a file the failed gc deleted")
        #expect(report.isClean)
        #expect(try store.stats().blobs == 4)

        try queue.write { db in try db.execute(sql: "DROP TRIGGER fail_gc") }
        try queue.close()
        let done = try store.gc()
        #expect(done.removedBlobs == 4)
        #expect(store.blobs.enumerateFiles().isEmpty)
    }

    @Test func gcOnAFullDiskLeavesNoRowWithoutItsFileAndSaysToFreeSpace() throws {
        guard getuid() == 0 else {
            print("skipped gcOnAFullDisk…: mounting a small tmpfs needs root")
            return
        }
        let mountPoint = folder.path("disk")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mountPoint.path]) == 0 else {
            print("skipped gcOnAFullDisk…: mount -t tmpfs failed (no CAP_SYS_ADMIN here?)")
            return
        }
        defer { _ = run("/bin/umount", ["-l", mountPoint.path]) }

        let store = try Store(at: mountPoint.appendingPathComponent("store"))
        // Many entries without blobs (negative results) and one with two: evicting them all
        // writes far more catalog pages than deleting two small files would free.
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        for index in 0..<300 {
            let identity = ExtractionIdentity(
                actionKey: ContentHash.of("refused \(index)"), inputKey: ContentHash.of("in \(index)"),
                operation: "avatar-extraction", options: "", namespace: "test", inputSize: 1000
            )
            try store.catalog.recordFailure(identity, code: "ERROR_NO_FACE_IN_FILE", message: String(repeating: "no face ", count: 20), requestID: "r\(index)", logID: nil, now: base)
        }
        let kept = try storeExtraction(store, name: "kept", results: [Data("a result".utf8)], now: base.addingTimeInterval(60))
        let checkpoint = try DatabaseQueue(path: store.catalog.url.path)
        try checkpoint.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try checkpoint.close()

        let filler = mountPoint.appendingPathComponent("filler")
        fill(filler)
        do {
            try store.gc(maxSize: 0)
            Issue.record("gc committed on a full disk")
        } catch let error as StoreError {
            #expect(error.kind == .diskFull, "\(error.message)")
            #expect(error.message.contains("free some disk space"))
            #expect(!error.message.contains("cache gc"), "gc cannot help a disk too full to commit")
        }
        let report = try store.verify()
        #expect(report.missingBlobs.isEmpty, "no row names a file the failed gc deleted")
        #expect(report.isClean)
        #expect(try store.catalog.entry(for: kept.actionKey)?.state == .ok)

        try FileManager.default.removeItem(at: filler)
        let done = try store.gc(maxSize: 0)
        #expect(done.evictedEntries == 301)
        #expect(store.blobs.enumerateFiles().isEmpty)
        #expect(try store.verify().isClean)
    }

    /// Runs a program to its end and returns its exit status.
    func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Writes to `url` until its disk is full.
    func fill(_ url: URL) {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(descriptor) }
        for size in [1 << 16, 4096, 512, 1] {
            let chunk = [UInt8](repeating: 0xA5, count: size)
            while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress!, size) }) == size {}
        }
    }

    @Test func gcSweepsLockFilesNobodyHoldsAndKeepsAHeldOne() throws {
        let store = try Store(at: folder.url)
        let leftover = store.locksFolder.appendingPathComponent("\(ContentHash.of("crashed").hex).lock")
        let held = store.locksFolder.appendingPathComponent("\(ContentHash.of("busy").hex).lock")
        try Data().write(to: leftover)
        let holder = try FileLock(url: held)
        try holder.lock()
        let report = try store.gc()
        #expect(report.sweptLocks == 1)
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(FileManager.default.fileExists(atPath: held.path), "a held lock is never swept")
        holder.release()
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.locksFolder.path).isEmpty)
    }

    @Test func aBlobStoredAgainWhileGCRunsKeepsItsFile() async throws {
        let store = try Store(at: folder.url)
        let shared = Data("a result many photos share".utf8)
        let sharedKey = ContentHash.of(shared)
        let lost = Mutex(0)
        // Each round forgets every entry (so gc may remove the blob) and stores the blob again
        // at once: the new entry's file must survive a gc that removed the old row just before.
        let writer = BackgroundLoop { round in
            for old in try store.catalog.allEntries() { try store.catalog.remove(old.actionKey) }
            try storeExtraction(store, name: "shared-\(round)", results: [shared])
            usleep(300)
            if !store.blobs.contains(sharedKey) { lost.withLock { $0 += 1 } }
        }
        let collector = BackgroundLoop { _ in try store.gc() }
        try await Task.sleep(for: .milliseconds(1500))
        await writer.stop()
        await collector.stop()
        #expect(writer.failure == nil, "\(String(describing: writer.failure))")
        #expect(collector.failure == nil, "\(String(describing: collector.failure))")
        #expect(collector.rounds > 5)
        #expect(lost.withLock { $0 } == 0, "a committed entry lost its blob file to gc")
        #expect(try store.verify().isClean)
    }
}
