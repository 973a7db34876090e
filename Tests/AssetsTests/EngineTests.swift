import Assets
import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Synchronization
import Testing
import TestSupport

/// The engine seam: the mock as an engine in process, an app's own engine registered by name,
/// and the call limit the manager keeps for every engine.
@Suite struct EngineTests {
    @Test func mockEngineStoresWhatTheMockOverTheWireStores() async throws {
        let wire = try ManagerFixture()
        let overTheWire = try await wire.manager().extract(gracePhoto)

        let fixture = try ManagerFixture()
        let service = MockService()
        let manager = AssetManager(store: fixture.store, engine: MockEngine(service: service, retryPolicy: .none))
        let inProcess = try await manager.extract(gracePhoto)

        #expect(service.counters.value.extractionCalls == 1)
        #expect(service.counters.value.downloads == 0, "nothing is downloaded: the PNGs come as bytes")
        #expect(inProcess.cache == .miss)
        #expect(inProcess.elements.map(\.sha256) == overTheWire.elements.map(\.sha256))
        #expect(inProcess.elements.map { [$0.width, $0.height, $0.x, $0.y] } == overTheWire.elements.map { [$0.width, $0.height, $0.x, $0.y] })
        for element in inProcess.elements {
            #expect(ContentHash.of(try Data(contentsOf: element.fileURL)) == element.sha256)
        }
    }

    @Test func aStoreMadeByTheMockOverTheWireStillHitsWithTheMockEngine() async throws {
        let fixture = try ManagerFixture()
        _ = try await fixture.manager().extract(astronautPhoto)
        #expect(fixture.calls == 1)

        let service = MockService()
        let manager = AssetManager(store: fixture.store, engine: MockEngine(service: service))
        let again = try await manager.extract(astronautPhoto)
        #expect(again.cache == .hit)
        #expect(service.counters.value.extractionCalls == 0)
    }

    @Test func mockEngineRetriesTransientFailuresAndCachesNoFace() async throws {
        let fixture = try ManagerFixture()
        let service = MockService()
        service.faults.withLock { $0.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS"), ScriptedError.transport(.timeout)] }
        let manager = AssetManager(store: fixture.store, engine: MockEngine(service: service, retryPolicy: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(1))))
        let extraction = try await manager.extract(gracePhoto)
        #expect(extraction.elements.count == 1)
        #expect(service.counters.value.extractionCalls == 3)

        service.faults.withLock { $0.headCount = 0 }
        for attempt in 0..<2 {
            await #expect { try await manager.extract(astronautPhoto) } throws: { error in
                (error as? APIError)?.code == "ERROR_NO_FACE_IN_FILE" && (error as? APIError)?.errorClass == .content
            }
            #expect(service.counters.value.extractionCalls == 4, "attempt \(attempt): the refusal is cached")
        }

        service.faults.withLock { $0.scriptedErrors = [ScriptedError("ERROR_NOT_ENOUGH_CREDITS")]; $0.headCount = 1 }
        let photo = ImageSource.data(try Data(contentsOf: Repository.fixture("coffee.png")), name: "coffee.png")
        await #expect { try await manager.extract(photo) } throws: { ($0 as? APIError)?.errorClass == .credits }
        #expect(service.counters.value.extractionCalls == 5, "credit errors are not retried")
        #expect(try await manager.extract(photo).cache == .miss, "nor cached")
    }

    @Test func mockEngineHasBalancesAndPluginsHaveNone() async throws {
        let balances = try await AssetManager(store: nil, engine: MockEngine()).credits()
        #expect(balances.map(\.uniqueSign) == MockFaults.defaultCredits.map(\.uniqueSign))
        await #expect { try await AssetManager(store: nil, engine: CountingEngine(limit: 1)).credits() } throws: { ($0 as? APIError)?.code == "NO_CREDITS" }
    }

    @Test func anAppRegistersItsOwnEngineByName() async throws {
        var registry = BackendRegistry.standard
        let counting = CountingEngine(limit: 3)
        registry.register("ours", summary: "An engine of the app's own.") { _, _ in counting }
        #expect(registry.all.map(\.name).contains("ours"))
        let engine = try await registry.makeEngine("ours", configuration: BackendConfiguration(), environment: [:])
        #expect(engine.identity.namespace == counting.identity.namespace)
        #expect(throws: ConfigurationError.self) { try registry.make("ours", configuration: BackendConfiguration()) }
        #expect(throws: ConfigurationError.self) { try registry.make("mock", configuration: BackendConfiguration()) }

        let fixture = try ManagerFixture()
        let manager = AssetManager(store: fixture.store, engine: engine)
        let extraction = try await manager.extract(gracePhoto)
        #expect(extraction.elements.count == 1)
        #expect(try await manager.extract(gracePhoto).cache == .hit)
        #expect(counting.calls.load(ordering: .relaxed) == 1)
    }

    @Test func theManagerNeverRunsMoreCallsThanTheEngineTakes() async throws {
        let fixture = try ManagerFixture()
        let engine = CountingEngine(limit: 2, delay: .milliseconds(40))
        let manager = AssetManager(store: fixture.store, engine: engine)
        let grace = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                // Distinct photos: the same JPEG with a different trailing byte after its end.
                let photo = ImageSource.data(grace + Data([UInt8(index)]), name: "grace-\(index).jpg")
                group.addTask { _ = try await manager.extract(photo) }
            }
            try await group.waitForAll()
        }
        #expect(engine.calls.load(ordering: .relaxed) == 8)
        #expect(engine.mostAtOnce.load(ordering: .relaxed) == 2)
    }
}

/// An engine of a test's own: one grey head in the photo's top-left corner, counted.
final class CountingEngine: ExtractionEngine {
    let limits: EngineLimits
    let delay: Duration
    let calls = Atomic<Int>(0)
    let inFlight = Atomic<Int>(0)
    let mostAtOnce = Atomic<Int>(0)

    init(limit: Int, delay: Duration = .zero) {
        var limits = EngineLimits.api
        limits.maxConcurrentCalls = limit
        self.limits = limits
        self.delay = delay
    }

    var identity: EngineIdentity { EngineIdentity(name: "counting", version: "1", namespace: "test:counting") }

    func extract(_ request: EngineRequest) async throws(APIError) -> EngineAnswer {
        calls.add(1, ordering: .relaxed)
        let now = inFlight.add(1, ordering: .relaxed).newValue
        mostAtOnce.max(now, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        try? await Task.sleep(for: delay)
        let side = min(request.probe.width, request.probe.height, 40)
        let pixels = [UInt8](repeating: 200, count: side * side * 4)
        let png = try! PNGCodec.encode(width: side, height: side, pixels: pixels, format: .rgba)
        return EngineAnswer(elements: [EngineElement(result: .png(png), width: side, height: side, x: 0, y: 0)])
    }
}
