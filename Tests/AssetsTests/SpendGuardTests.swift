import Assets
import AssetStore
import Foundation
import HeadExtraction
import Testing
import TestSupport

/// The spend guard: a cap on engine calls per manager and per UTC day, and credits saved
/// counted only where a call costs one.
@Suite struct SpendGuardTests {
    static func distinctPhotos(_ count: Int) throws -> [ImageSource] {
        try FixturePhotos.distinct(count).enumerated().map { .data($1, name: "photo-\($0).jpg") }
    }

    @Test func aRunsLimitMakesThatManyCallsAndRefusesTheRestForFree() async throws {
        let fixture = try ManagerFixture()
        var configuration = ManagerFixture.fastRetries
        configuration.spendLimit = SpendLimit(maxCalls: 2)
        let service = MockService()
        let manager = AssetManager(store: fixture.store, engine: MockEngine(service: service), configuration: configuration)
        let photos = try Self.distinctPhotos(5)

        var refused: [APIError] = []
        var extracted = 0
        for await (_, result) in manager.extract(photos, jobs: 2) {
            switch result {
            case .success: extracted += 1
            case .failure(let error): refused.append(error)
            }
        }
        #expect(extracted == 2)
        #expect(service.counters.value.extractionCalls == 2)
        #expect(refused.count == 3)
        #expect(refused.allSatisfy { $0.code == "SPEND_LIMIT_REACHED" && $0.errorClass == .credits && $0.httpStatus == 429 })
        #expect(try fixture.store.stats().upstreamCalls == 2)

        // Hits are always answered, limit or not.
        let stored = try await manager.extract(photos[0])
        #expect(stored.cache == .hit)
        // Nothing of a refusal is stored: with a new manager the photo is a plain miss.
        let fresh = try await AssetManager(store: fixture.store, engine: MockEngine(service: service)).extract(photos[4])
        #expect(fresh.cache == .miss)
    }

    @Test func aDailyLimitIsKeptInTheStoreAcrossManagers() async throws {
        let fixture = try ManagerFixture()
        var configuration = ManagerFixture.fastRetries
        configuration.spendLimit = SpendLimit(maxCallsPerDay: 2)
        let service = MockService()
        let photos = try Self.distinctPhotos(4)

        let first = AssetManager(store: fixture.store, engine: MockEngine(service: service), configuration: configuration)
        _ = try await first.extract(photos[0])
        await first.shutdown()

        // A restart: a new manager on the same store has one call left today.
        let second = AssetManager(store: fixture.store, engine: MockEngine(service: service), configuration: configuration)
        _ = try await second.extract(photos[1])
        await #expect { try await second.extract(photos[2]) } throws: { error in
            (error as? APIError)?.code == "SPEND_LIMIT_REACHED"
        }
        #expect(service.counters.value.extractionCalls == 2)
        #expect(try fixture.store.catalog.dailyCalls(day: Catalog.spendDay(of: Date())) == 2)
    }

    @Test func theUTCDayIsNamedByItsDate() {
        #expect(Catalog.spendDay(of: Date(timeIntervalSince1970: 0)) == "1970-01-01")
        #expect(Catalog.spendDay(of: Date(timeIntervalSince1970: 1_796_169_599)) == "2026-12-01")
        #expect(Catalog.spendDay(of: Date(timeIntervalSince1970: 1_796_169_600)) == "2026-12-02")
    }

    @Test func hitsOnTheMockSaveNoCredits() async throws {
        let fixture = try ManagerFixture()
        let manager = AssetManager(store: fixture.store, engine: MockEngine(service: MockService()))
        _ = try await manager.extract(gracePhoto)
        let hit = try await manager.extract(gracePhoto)
        #expect(hit.cache == .hit)
        manager.flush()
        #expect(try fixture.store.stats().hits == 1)
        #expect(try fixture.store.stats().creditsSaved == 0, "a mock answer never cost a credit")
        #expect(manager.activity.creditsSaved == 0)
    }

    @Test func hitsOnTheRealAPIsAnswersSaveOneCreditEach() async throws {
        let fixture = try ManagerFixture()
        let manager = fixture.manager(namespace: Backend.realNamespace)
        _ = try await manager.extract(gracePhoto)
        _ = try await manager.extract(gracePhoto)
        _ = try await manager.extract(gracePhoto)
        manager.flush()
        #expect(try fixture.store.stats().creditsSaved == 2)
        #expect(manager.activity.creditsSaved == 2)
    }
}
