import Assets
import AssetStore
import Foundation
import HeadExtraction
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

/// The library as a web backend embeds it: its Logger, its metrics, its service lifecycle.
@Suite struct ObservabilityTests {
    static let key = "sk-live-OBSERVED-SECRET-0123456789"

    /// A manager on the mock over the wire (with a key, to check it is never logged), its
    /// retries shrunk, logging into `logs` and counting into `metrics`.
    func manager(_ fixture: ManagerFixture, logs: RecordedLogs, metrics: TestMetrics) -> AssetManager {
        var configuration = ManagerFixture.fastRetries
        configuration.logger = Logger(label: "test") { _ in RecordingLogHandler(logs) }
        configuration.logger.logLevel = .trace
        configuration.metrics = metrics
        let backend = Backend(name: "mock", transport: fixture.mock, baseURL: fixture.mock.baseURL, namespace: "mock", apiKey: Self.key, requiresKey: true)
        return AssetManager(store: fixture.store, backend: backend, configuration: configuration)
    }

    @Test func aLoggerAndAMetricsBackendPassedInSeeAMissARetryAndAHit() async throws {
        let fixture = try ManagerFixture()
        let logs = RecordedLogs()
        let metrics = TestMetrics()
        let manager = manager(fixture, logs: logs, metrics: metrics)
        fixture.mock.faults.withLock { $0.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS")] }

        let miss = try await manager.extract(gracePhoto)
        let hit = try await manager.extract(gracePhoto)
        #expect(miss.cache == .miss && hit.cache == .hit)

        let messages = logs.entries.map(\.message)
        #expect(messages == ["retrying a transient failure", "miss", "hit"])
        let missEntry = try #require(logs.entries.first { $0.message == "miss" })
        #expect(missEntry.level == .info)
        #expect(missEntry.metadata["sha256"] == miss.inputSHA256.hex)
        #expect(missEntry.metadata["input"] == gracePhoto.displayName)
        #expect(!logs.text.contains(Self.key), "the key is never logged")

        #expect(try metrics.expectCounter("assets_cache_misses_total").totalValue == 1)
        #expect(try metrics.expectCounter("assets_cache_hits_total").totalValue == 1)
        #expect(try metrics.expectCounter("assets_upstream_calls_total").totalValue == 2)
        #expect(try metrics.expectCounter("assets_upstream_retries_total").totalValue == 1)
        #expect((try? metrics.expectCounter("assets_credits_saved_total").totalValue) ?? 0 == 0, "the mock costs no credit")
    }

    @Test func aRefusalIsLoggedWithItsCode() async throws {
        let fixture = try ManagerFixture()
        let logs = RecordedLogs()
        let manager = manager(fixture, logs: logs, metrics: TestMetrics())
        _ = try? await manager.extract(.data(Data("not a photo".utf8), name: "notes.txt"))
        let entry = try #require(logs.entries.first)
        #expect(entry.message == "refused")
        #expect(entry.metadata["code"] == "UNSUPPORTED_FILE_TYPES")
        #expect(entry.metadata["class"] == "input")
    }

    @Test func aManagerInAServiceGroupFlushesOnGracefulShutdown() async throws {
        let fixture = try ManagerFixture()
        let manager = fixture.manager()
        _ = try await manager.extract(gracePhoto)
        _ = try await manager.extract(gracePhoto)
        // The hit is in memory until the manager flushes it.
        #expect(try fixture.store.catalog.counters()[.hits] == 0)
        let group = ServiceGroup(services: [manager], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(50))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let stats = try Store(at: fixture.folder.path("store")).stats()
        #expect(stats.hits == 1, "the hit reached the catalog without a hand-called flush()")
    }
}

/// Log entries kept in memory.
final class RecordedLogs: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let stored = Mutex<[Entry]>([])

    func append(_ entry: Entry) { stored.withLock { $0.append(entry) } }
    var entries: [Entry] { stored.withLock { $0 } }
    var text: String { entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n") }
}

/// A swift-log handler that keeps every entry in a ``RecordedLogs``.
struct RecordingLogHandler: LogHandler {
    let logs: RecordedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(_ logs: RecordedLogs) { self.logs = logs }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append(.init(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}
