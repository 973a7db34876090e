import ArgumentParser
import Assets
import Foundation
import Logging
import SharedTier

/// `--shared-catalog-file FILE`, and `ASSETS_SHARED_CATALOG` / `ASSETS_SHARED_BLOBS`, shared by
/// the commands that use the shared tier (`extract`, `serve`, `cache stats`, `cache gc`).
struct SharedTierOptions: ParsableArguments {
    @Option(name: .customLong("shared-catalog-file"), help: ArgumentHelp("A file holding the PostgreSQL URL of the shared catalog (default: $ASSETS_SHARED_CATALOG); with $ASSETS_SHARED_BLOBS, a fleet shares one cache.", valueName: "file"))
    var sharedCatalogFile: String?

    /// The shared tier, `nil` when none is configured, or one `Error:` line and exit status 2
    /// when it is configured wrong (one half only, a bad URL, missing credentials).
    func open(logger: Logger = Logger(label: "assets.shared", factory: { _ in SwiftLogNoOpLogHandler() })) throws -> SharedStorage? {
        do {
            return try SharedStorage.fromEnvironment(catalogFile: sharedCatalogFile.map { URL(fileURLWithPath: $0) }, logger: logger)
        } catch let error as SharedTierError {
            throw Terminal.fail(error.message)
        }
    }

    /// Opens the tier and checks that it can be used: a wrong password, database or key exits
    /// with status 2; an outage only warns (misses then follow the outage policy).
    func openChecked(logger: Logger = Logger(label: "assets.shared", factory: { _ in SwiftLogNoOpLogHandler() }), warn: Bool = true) async throws -> SharedStorage? {
        guard let shared = try open(logger: logger) else { return nil }
        do {
            try await shared.check()
        } catch let error as SharedTierError where error.kind == .configuration {
            await shared.shutdown()
            throw Terminal.fail(error.message)
        } catch let error as SharedTierError {
            if warn { Terminal.err("Warning: \(error.message)") }
        }
        return shared
    }
}
