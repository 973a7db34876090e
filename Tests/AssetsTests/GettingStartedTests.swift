import Assets
import AssetStore
import Foundation
import HeadExtraction
import Logging
import Metrics
import MetricsTestKit
import ServiceLifecycle
import Testing
import TestSupport

/// The snippets of the DocC article `GettingStarted.md`, compiled and run as written there.
@Suite struct GettingStartedTests {
    @Test func theArticlesSnippetsRun() async throws {
        let directory = TemporaryDirectory("getting-started")
        let folder = directory.path("store")
        let photo = Repository.fixture("grace_hopper.jpg")
        let logger = Logger(label: "app") { _ in SwiftLogNoOpLogHandler() }
        let metricsFactory: any MetricsFactory = TestMetrics()

        // Extract a photo
        let store = try Store(at: folder)
        let engine = try await BackendRegistry.standard.makeEngine("mock", configuration: BackendConfiguration())
        let manager = AssetManager(store: store, engine: engine)

        let extraction = try await manager.extract(.file(photo))
        for head in extraction.elements {
            print(head.fileURL.path, head.x, head.y, head.width, head.height)
        }
        #expect(extraction.cache == .miss)

        // Any photo in
        let strict = try await manager.extract(.file(photo), options: ExtractOptions(fit: .never))
        #expect(strict.cache == .hit)

        // Embed it in a web backend
        var configuration = AssetManagerConfiguration()
        configuration.logger = logger
        configuration.metrics = metricsFactory
        configuration.spendLimit = SpendLimit(maxCallsPerDay: 1000)
        let embedded = AssetManager(store: store, engine: engine, configuration: configuration)
        let group = ServiceGroup(services: [embedded], logger: logger)
        #expect(try await embedded.extract(.file(photo)).cache == .hit)
        _ = group
    }
}
