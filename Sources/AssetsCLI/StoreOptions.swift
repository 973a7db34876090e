import ArgumentParser
import AssetStore
import Foundation

/// `--store DIR`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store folder (default: $ASSETS_STORE, else $XDG_CACHE_HOME/assets, else ~/.cache/assets).", valueName: "dir"))
    var store: String?

    var location: URL { StoreLocation.resolve(explicit: store) }

    /// Opens the store, or prints one `Error:` line and exits with status 2.
    ///
    /// - Parameter readOnlyIfUnwritable: for commands that only read (`stats`, `ls`,
    ///   `verify`): an existing store this process cannot write is opened read-only instead of
    ///   refused. A write (`verify --repair`) then fails with status 2 and says so.
    func open(readOnlyIfUnwritable: Bool = false) throws -> Store {
        do {
            return try Store(at: location, readOnly: readOnlyIfUnwritable && Store.isUnwritable(location))
        } catch let error as StoreError {
            throw Terminal.fail(FlagAdvice.message(error))
        }
    }
}
