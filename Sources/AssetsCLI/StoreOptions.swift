import ArgumentParser
import AssetStore
import Foundation

/// `--store DIR`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store folder (default: $ASSETS_STORE, else $XDG_CACHE_HOME/assets, else ~/.cache/assets).", valueName: "dir"))
    var store: String?

    var location: URL { StoreLocation.resolve(explicit: store) }

    /// Opens the store, or prints one `Error:` line and exits with status 2.
    func open() throws -> Store {
        do {
            return try Store(at: location)
        } catch let error as StoreError {
            throw Terminal.fail(error.message)
        }
    }
}
