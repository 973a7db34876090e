import AssetStore
import Foundation
import GRDB
import Testing
import TestSupport

/// One malformed catalog row is reported and quarantined, never a crash.
@Suite struct MalformedRowTests {
    let folder = TemporaryDirectory("malformed")

    /// Runs raw SQL on the store's catalog, as damage or another program would.
    func damage(_ store: Store, _ sql: String, _ arguments: StatementArguments = []) throws {
        let queue = try DatabaseQueue(path: store.catalog.url.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: sql, arguments: arguments)
        }
        try queue.close()
    }

    struct Damaged {
        var good: CatalogEntry
        var wrongType: CatalogEntry
        var unknownState: CatalogEntry
        var badElement: CatalogEntry
    }

    /// A store with one good entry and one malformed row of each kind (seven in all).
    func damagedStore() throws -> (Store, Damaged) {
        let store = try Store(at: folder.url)
        let good = try storeExtraction(store, name: "good", results: [Data("good".utf8)])
        let wrongType = try storeExtraction(store, name: "wrong-type", results: [Data("w".utf8)])
        let unknownState = try storeExtraction(store, name: "unknown-state", results: [Data("u".utf8)])
        let badElement = try storeExtraction(store, name: "bad-element", results: [Data("b".utf8)])
        try damage(store, "UPDATE extractions SET input_size = 'lots' WHERE action_key = ?", [wrongType.actionKey.bytes])
        try damage(store, "UPDATE extractions SET state = 'weird' WHERE action_key = ?", [unknownState.actionKey.bytes])
        try damage(store, "UPDATE elements SET width = 'wide' WHERE extraction_id = ?", [badElement.id])
        try damage(store, """
            INSERT INTO extractions (action_key, input_key, operation, options, namespace, state, input_size, created_at, last_used_at)
            VALUES (?, ?, 'avatar-extraction', '', 'test', 'ok', 1, 0, 0)
            """, [Data(repeating: 7, count: 31), Data(repeating: 8, count: 32)])
        try damage(store, "INSERT INTO blobs (key, size, created_at, last_used_at) VALUES (?, 'big', 0, 0)", [Data(repeating: 9, count: 32)])
        try damage(store, "UPDATE counters SET value = 'many' WHERE name = 'retries'")
        return (store, Damaged(good: good, wrongType: wrongType, unknownState: unknownState, badElement: badElement))
    }

    @Test func aLookupOfAMalformedRowThrowsInsteadOfCrashing() throws {
        let (store, damaged) = try damagedStore()
        for entry in [damaged.wrongType, damaged.unknownState, damaged.badElement] {
            #expect {
                _ = try store.catalog.entry(for: entry.actionKey)
            } throws: { error in
                guard let error = error as? StoreError else { return false }
                return error.kind == .malformedRow && error.message.contains("repair the store") && !error.message.contains("assets cache")
                    && error.message.hasSuffix(".") && !error.message.dropLast().contains(". ")
            }
        }
        #expect(try store.catalog.entry(for: damaged.good.actionKey)?.state == .ok)
    }

    @Test func listingsAndStatsSkipMalformedRowsAndCountThem() throws {
        let (store, damaged) = try damagedStore()
        let (listings, malformed) = try store.listing()
        #expect(listings.map(\.actionKey) == [damaged.good.actionKey.hex])
        // Four extractions and one element row; blob rows and counters are verify's to report.
        #expect(malformed.count == 5, "\(malformed.map(\.problem))")
        #expect(try store.list().count == 1)
        let stats = try store.stats()
        #expect(stats.retries == 0, "a malformed counter reads as nothing")
        #expect(try store.catalog.allEntries().count == 1)
    }

    @Test func verifyReportsMalformedRowsAndRepairQuarantinesThem() throws {
        let (store, damaged) = try damagedStore()
        let report = try store.verify()
        #expect(!report.isClean)
        let tables = report.malformedRows.map(\.table).sorted()
        #expect(tables == ["blobs", "counters", "elements", "extractions", "extractions", "extractions", "extractions"], "\(report.malformedRows.map(\.problem))")
        #expect(report.malformedRows.contains { $0.problem.contains("31 bytes, not 32") })
        #expect(report.malformedRows.contains { $0.problem.contains("'weird'") })
        #expect(report.malformedRows.contains { $0.problem.contains("input_size is text") })

        let encoded = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect((object["malformed_rows"] as? [Any])?.count == 7)

        let repaired = try store.verify(repair: true)
        #expect(repaired.repaired)
        #expect(repaired.quarantinedRows == 7)
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: folder.path("quarantine").path).filter { $0.hasSuffix(".json") }
        #expect(quarantined.count == 7)
        let first = try #require(quarantined.sorted().first)
        let saved = try JSONDecoder().decode(MalformedRow.self, from: Data(contentsOf: folder.path("quarantine/\(first)")))
        #expect(!saved.values.isEmpty)

        #expect(try store.verify().isClean)
        #expect(try store.catalog.entry(for: damaged.good.actionKey)?.state == .ok)
        for entry in [damaged.wrongType, damaged.unknownState, damaged.badElement] {
            #expect(try store.catalog.entry(for: entry.actionKey) == nil, "fetched again next time")
        }
        #expect(try store.stats().retries == 0)
        try store.catalog.increment([.retries: 2])
        #expect(try store.stats().retries == 2, "the counter was reset, not lost")
        #expect(try store.listing().malformed.isEmpty)
    }

    @Test func gcSurvivesMalformedRows() throws {
        let (store, damaged) = try damagedStore()
        let report = try store.gc(maxSize: 0)
        #expect(report.evictedEntries >= 1)
        #expect(try store.catalog.entry(for: damaged.good.actionKey) == nil)
    }

    @Test func anEntryWhoseBlobRowIsMalformedGoesInTheSameRepair() throws {
        let store = try Store(at: folder.url)
        let good = try storeExtraction(store, name: "good", results: [Data("good".utf8)])
        let victim = try storeExtraction(store, name: "victim", results: [Data("victim".utf8)])
        let key = try #require(victim.elements.first?.blobKey)
        try damage(store, "UPDATE blobs SET size = 'big' WHERE key = ?", [key.bytes])
        let report = try store.verify()
        #expect(report.malformedRows.map(\.table) == ["blobs"])
        #expect(report.brokenEntries == [victim.actionKey.hex])
        let repaired = try store.verify(repair: true)
        #expect(repaired.quarantinedRows == 1)
        #expect(repaired.removedEntries == 1)
        #expect(try store.verify().isClean, "one repair is enough")
        #expect(try store.catalog.entry(for: good.actionKey)?.state == .ok)
    }
}
