import AssetStore
import Foundation
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
}
