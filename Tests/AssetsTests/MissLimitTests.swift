import Assets
import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Synchronization
import Testing
import TestSupport

/// A flood of new photos is held to ``AssetManagerConfiguration/maxConcurrentMisses``, with a
/// bounded line behind it; past that, a miss is refused at once and costs nothing. Hits never wait.
@Suite struct MissLimitTests {
    let fixture: ManagerFixture

    init() throws {
        fixture = try ManagerFixture()
    }

    /// A distinct 64x64 gray PNG for each `seed`.
    static func photo(_ seed: UInt8) throws -> ImageSource {
        let pixels = (0..<(64 * 64)).map { UInt8(truncatingIfNeeded: $0 &* (Int(seed) * 2 + 1)) }
        return .data(try PNGCodec.encode(width: 64, height: 64, pixels: pixels, format: .gray), name: "photo-\(seed).png")
    }

    @Test func missesPastTheCapAndTheLineAreRefusedAtOnceWithoutACall() async throws {
        let gate = Gate()
        let transport = GatedCalls(upstream: fixture.mock, gate: gate)
        var configuration = ManagerFixture.fastRetries
        configuration.maxConcurrentMisses = 1
        configuration.maxQueuedMisses = 1
        let backend = Backend(name: "test", transport: transport, baseURL: fixture.mock.baseURL, namespace: "mock", requiresKey: false)
        let manager = AssetManager(store: fixture.store, backend: backend, configuration: configuration)

        // Stored before the flood: a hit must not wait behind it.
        gate.open()
        let stored = try Self.photo(1)
        _ = try await manager.extract(stored)
        gate.close()
        let callsBefore = fixture.calls

        let running = Task { try await manager.extract(try Self.photo(2)) }
        try await waitUntil { transport.waiting == 1 }
        let queued = Task { try await manager.extract(try Self.photo(3)) }
        try await waitUntil { manager.queuedMisses == 1 }

        await #expect(throws: APIError.self) {
            do {
                _ = try await manager.extract(try Self.photo(4))
            } catch let error as APIError {
                #expect(error.code == "ERROR_INSUFFICIENT_RESOURCES")
                #expect(error.errorClass == .transient)
                #expect(error.httpStatus == 503)
                #expect(error.retryAfter != nil)
                throw error
            }
        }
        let hit = try await manager.extract(stored)
        #expect(hit.cache == .hit)

        gate.open()
        #expect(try await running.value.cache == .miss)
        #expect(try await queued.value.cache == .miss)
        #expect(fixture.calls - callsBefore == 2, "the refused photo cost no call")
        #expect(try fixture.store.stats().entries == 3, "nothing stored for the refused photo")
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(condition())
    }
}

/// Open or closed; closed holds every API call until it opens.
final class Gate: Sendable {
    private let isOpen = Mutex(false)
    func open() { isOpen.withLock { $0 = true } }
    func close() { isOpen.withLock { $0 = false } }
    var opened: Bool { isOpen.withLock { $0 } }
}

/// The mock, with each extraction call held while the gate is closed.
final class GatedCalls: Transport, Sendable {
    let upstream: MockService
    let gate: Gate
    private let held = Atomic<Int>(0)

    init(upstream: MockService, gate: Gate) {
        self.upstream = upstream
        self.gate = gate
    }

    /// Calls held at the gate now.
    var waiting: Int { held.load(ordering: .relaxed) }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        held.add(1, ordering: .relaxed)
        while !gate.opened { try await Task.sleep(for: .milliseconds(5)) }
        held.subtract(1, ordering: .relaxed)
        return try await upstream.send(request)
    }

    func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
        try await upstream.download(request, to: destination, limit: limit)
    }
}
