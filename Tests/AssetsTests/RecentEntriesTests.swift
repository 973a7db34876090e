import Assets
import AssetStore
import Foundation
import Testing
import TestSupport

/// A manager answers repeats from the entries it read recently, and never from one that is gone.
@Suite struct RecentEntriesTests {
    let fixture: ManagerFixture

    init() throws {
        fixture = try ManagerFixture()
    }

    /// A miss, then a hit that puts the entry in the manager's memory.
    func answeredTwice(by manager: AssetManager) async throws -> Extraction {
        #expect(try await manager.extract(gracePhoto).cache == .miss)
        let hit = try await manager.extract(gracePhoto)
        #expect(hit.cache == .hit)
        return hit
    }

    @Test func aRememberedEntryAnswersWithoutItsCatalogRow() async throws {
        let manager = fixture.manager()
        let hit = try await answeredTwice(by: manager)

        // Another process removes the row but not the blob files (another entry could share them).
        let other = try Store(at: fixture.store.root)
        try other.catalog.remove(try #require(try other.catalog.allEntries().first?.actionKey))
        #expect(try other.catalog.allEntries().isEmpty)

        let again = try await manager.extract(gracePhoto)
        #expect(again.cache == .hit)
        #expect(again.elements == hit.elements)
        #expect(fixture.calls == 1, "the same bytes answer: no second call")
    }

    @Test func aRemovalThroughTheSameStoreIsNeverAnsweredFromMemory() async throws {
        let manager = fixture.manager()
        _ = try await answeredTwice(by: manager)
        let key = try #require(try fixture.store.catalog.allEntries().first?.actionKey)
        try fixture.store.catalog.remove(key)

        #expect(try await manager.extract(gracePhoto).cache == .miss)
        #expect(fixture.calls == 2)
    }

    @Test func aGCInThisProcessDropsTheMemory() async throws {
        let manager = fixture.manager()
        _ = try await answeredTwice(by: manager)
        try fixture.store.gc(olderThan: -60)
        #expect(try fixture.store.stats().entries == 0)

        #expect(try await manager.extract(gracePhoto).cache == .miss)
        #expect(fixture.calls == 2)
    }

    @Test func aGCInAnotherProcessIsSeenByTheMissingBlob() async throws {
        let manager = fixture.manager()
        _ = try await answeredTwice(by: manager)
        let other = try Store(at: fixture.store.root)
        let report = try other.gc(olderThan: -60)
        #expect(report.evictedEntries == 1 && report.removedBlobs >= 1)

        let again = try await manager.extract(gracePhoto)
        #expect(again.cache == .miss)
        #expect(fixture.calls == 2)
        #expect(fixture.store.blobs.contains(again.elements[0].sha256), "the result is stored again")
    }
}
