import ArgumentParser
import AssetStore
import Foundation

struct CacheListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List stored extractions, most recently used first."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print one JSON object per extraction (JSON Lines).")
    var json = false

    func run() throws {
        let store = try storeOptions.open(readOnlyIfUnwritable: true)
        let (listings, malformed) = try Terminal.run { try store.listing() }
        for listing in listings {
            if json {
                Terminal.out(Terminal.json(listing))
            } else {
                let options = listing.options.isEmpty ? "-" : listing.options
                let outcome = listing.state == .ok ? "\(listing.elements) element\(listing.elements == 1 ? "" : "s")" : (listing.errorCode ?? listing.state.rawValue)
                Terminal.out([
                    listing.inputSHA256, options, listing.namespace, outcome, Format.bytes(listing.bytes),
                    "last used \(Format.date(listing.lastUsedAt))",
                ].joined(separator: "  "))
            }
        }
        Terminal.flush()
        if !malformed.isEmpty {
            Terminal.err("\(malformed.count) malformed catalog row\(malformed.count == 1 ? " was" : "s were") left out; run `assets cache verify --repair` to quarantine \(malformed.count == 1 ? "it" : "them").")
        }
    }
}
