import ArgumentParser
import AssetStore

struct CacheStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show what the store holds and how many API calls it has saved."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let store = try storeOptions.open(readOnlyIfUnwritable: true)
        let stats = try Terminal.run { try store.stats() }
        if json {
            Terminal.out(Terminal.spacedJSON(stats))
        } else {
            let rows: [(String, String)] = [
                ("store", store.root.path),
                ("entries", "\(stats.entries)" + (stats.negative > 0 ? " (\(stats.negative) negative)" : "")),
                ("pending", "\(stats.pending)"),
                ("blobs", "\(stats.blobs)"),
                ("bytes", "\(stats.bytes) (\(Format.bytes(stats.bytes)))"),
                ("hits", "\(stats.hits)"),
                ("misses", "\(stats.misses)"),
                ("upstream calls", "\(stats.upstreamCalls)"),
                ("retries", "\(stats.retries)"),
                ("downloaded", Format.bytes(stats.bytesDownloaded)),
                ("credits saved", "\(stats.creditsSaved)"),
            ]
            for (name, value) in rows {
                Terminal.out(name.padding(toLength: 16, withPad: " ", startingAt: 0) + value)
            }
        }
        Terminal.flush()
    }
}
