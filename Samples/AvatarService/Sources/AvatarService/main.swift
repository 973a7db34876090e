import Assets
import AssetStore
import AvatarServiceApp
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

// A web backend that embeds assets beside its own routes:
//
//     swift run avatar-service            # the mock engine, no key, on 127.0.0.1:8090
//     ASSETS_BACKEND=remote AILAB_API_KEY=… swift run avatar-service
//     curl --data-binary @Samples/grace_hopper.jpg http://127.0.0.1:8090/avatars
//
// The manager runs in the ServiceGroup beside the server: SIGTERM or SIGINT stop both, and the
// manager flushes its bookkeeping on the way out.
let environment = ProcessInfo.processInfo.environment
var logger = Logger(label: "avatar-service")
logger.logLevel = .info

let storeFolder = environment["ASSETS_STORE"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory.appendingPathComponent("avatar-service-store")
let store = try Store(at: storeFolder)
var configuration = AssetManagerConfiguration()
configuration.logger = logger
configuration.spendLimit.maxCallsPerDay = 1000
let backend = environment["ASSETS_BACKEND"] ?? "mock"
let engine = try await BackendRegistry.standard.makeEngine(
    backend, configuration: BackendConfiguration(apiKey: environment["AILAB_API_KEY"]), manager: configuration
)
let manager = AssetManager(store: store, engine: engine, configuration: configuration)

let router = Router()
router.get("/") { _, _ in "avatar-service: POST a photo to /avatars\n" }
AvatarRoutes(manager: manager, store: store).add(to: router)
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: Int(environment["PORT"] ?? "") ?? 8090)), logger: logger)

let group = ServiceGroup(services: [manager, app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
try await group.run()
