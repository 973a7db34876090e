import AssetStore
import Foundation
import Synchronization
import Testing
import TestSupport

@Suite struct VerifyTests {
    let folder = TemporaryDirectory("verify")

    @Test func aFlippedByteIsDetectedAndRepairRecovers() throws {
        let store = try Store(at: folder.url)
        let good = try storeExtraction(store, name: "good", results: [Data("good result".utf8)])
        let bad = try storeExtraction(store, name: "bad", results: [Data("bad result".utf8)])
        #expect(try store.verify().isClean)

        let victim = try #require(bad.elements.first?.blobKey)
        var bytes = try Data(contentsOf: store.blobs.url(for: victim))
        bytes[3] ^= 0x20
        try bytes.write(to: store.blobs.url(for: victim))

        let report = try store.verify()
        #expect(!report.isClean)
        #expect(report.corruptBlobs == [victim.hex])
        #expect(report.brokenEntries == [bad.actionKey.hex])
        #expect(try store.catalog.entry(for: bad.actionKey) != nil, "verify alone changes nothing")

        let repaired = try store.verify(repair: true)
        #expect(repaired.repaired)
        #expect(repaired.quarantined == [victim.hex])
        #expect(repaired.removedEntries == 1)
        #expect(FileManager.default.fileExists(atPath: folder.path("quarantine/\(victim.hex)").path))
        #expect(!store.blobs.contains(victim))
        #expect(try store.catalog.entry(for: bad.actionKey) == nil, "the input is fetched again next time")
        #expect(try store.catalog.entry(for: good.actionKey)?.state == .ok)
        #expect(try store.verify().isClean)
    }

    @Test func aMissingBlobIsReportedAndItsRowRemovedOnRepair() throws {
        let store = try Store(at: folder.url)
        let entry = try storeExtraction(store, name: "gone", results: [Data("soon gone".utf8)])
        let key = try #require(entry.elements.first?.blobKey)
        try FileManager.default.removeItem(at: store.blobs.url(for: key))
        let report = try store.verify()
        #expect(report.missingBlobs == [key.hex])
        #expect(report.brokenEntries == [entry.actionKey.hex])
        _ = try store.verify(repair: true)
        #expect(try store.verify().isClean)
        #expect(try store.catalog.entry(for: entry.actionKey) == nil)
    }

    /// A store with enough blob bytes that hashing them takes a while.
    func fillStore(_ store: Store, entries: Int) throws {
        for index in 0..<entries {
            try storeExtraction(store, name: "base-\(index)", results: [Data(repeating: UInt8(index % 256), count: 96 << 10) + Data("\(index)".utf8)])
        }
    }

    @Test func anEntryCompletedWhileVerifyRunsIsNeverRemovedByRepair() async throws {
        let store = try Store(at: folder.url)
        try fillStore(store, entries: 60)
        let written = Mutex<[ContentHash]>([])
        let writer = BackgroundLoop { round in
            let entry = try storeExtraction(store, name: "fresh-\(round)", results: [Data("fresh result \(round)".utf8)])
            written.withLock { $0.append(entry.actionKey) }
        }
        var reports: [VerifyReport] = []
        for _ in 0..<6 { reports.append(try store.verify(repair: true)) }
        await writer.stop()
        #expect(writer.failure == nil, "\(String(describing: writer.failure))")
        #expect(writer.rounds > 0)
        for report in reports {
            #expect(report.isClean, "\(report.brokenEntries.count) broken, \(report.missingBlobs.count) missing")
            #expect(report.removedEntries == 0)
        }
        for key in written.withLock({ $0 }) {
            #expect(try store.catalog.entry(for: key)?.state == .ok, "fresh entry \(key.hex) is still there")
        }
        #expect(try store.verify().isClean)
    }

    @Test func gcBesideVerifyCausesNoFalseFaults() async throws {
        let store = try Store(at: folder.url)
        try fillStore(store, entries: 60)
        // Entries that come and go, with gc deleting their blobs each time.
        let churn = BackgroundLoop { round in
            let entry = try storeExtraction(store, name: "churn-\(round)", results: [Data("churn \(round)".utf8)])
            try store.catalog.remove(entry.actionKey)
            try store.gc()
        }
        var reports: [VerifyReport] = []
        for _ in 0..<6 { reports.append(try store.verify()) }
        await churn.stop()
        #expect(churn.failure == nil, "\(String(describing: churn.failure))")
        #expect(churn.rounds > 0)
        for report in reports {
            #expect(report.isClean, "\(report.missingBlobs.count) missing, \(report.brokenEntries.count) broken")
        }
    }

    @Test func aBlobThatIsUnreadableIsNeverReportedCorrupt() throws {
        // An unreadable file (here: a folder where the blob should be, which cannot be read as a
        // file) is missing, not corrupt, and repair never quarantines a good blob for it.
        let store = try Store(at: folder.url)
        let entry = try storeExtraction(store, name: "x", results: [Data("result".utf8)])
        let key = try #require(entry.elements.first?.blobKey)
        try FileManager.default.removeItem(at: store.blobs.url(for: key))
        try FileManager.default.createDirectory(at: store.blobs.url(for: key), withIntermediateDirectories: false)
        let report = try store.verify()
        #expect(report.missingBlobs == [key.hex])
        #expect(report.corruptBlobs.isEmpty)
    }
}
