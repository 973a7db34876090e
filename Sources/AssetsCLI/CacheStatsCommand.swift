import ArgumentParser
import Assets
import AssetStore
import HeadExtraction
import SharedTier

struct CacheStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show what the store holds and how many API calls it has saved."
    )

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var sharedOptions: SharedTierOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let store = try storeOptions.open(readOnlyIfUnwritable: true)
        let stats = try Terminal.run { try store.stats() }
        var shared: SharedStats?
        if let tier = try sharedOptions.open() {
            do {
                shared = try await tier.catalog.stats(chargedNamespace: Backend.realNamespace)
            } catch let error as SharedTierError {
                await tier.shutdown()
                throw Terminal.fail(error.message)
            }
            await tier.shutdown()
        }
        if json {
            Terminal.out(Terminal.spacedJSON(StatsReport(store: stats, shared: shared)))
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
            ] + (stats.unpublished > 0 || shared != nil ? [("unpublished", "\(stats.unpublished) (answers made while the shared tier was down; the next run on this store publishes them)")] : [])
            for (name, value) in rows {
                Terminal.out(name.padding(toLength: 16, withPad: " ", startingAt: 0) + value)
            }
            if let shared {
                let fleet: [(String, String)] = [
                    ("shared entries", "\(shared.entries)"),
                    ("shared blobs", "\(shared.blobs) (\(Format.bytes(shared.bytes)))"),
                    ("paid calls", "\(shared.paidCalls) fleet-wide" + (shared.doublePaid > 0 ? ", \(shared.doublePaid) paid twice" : "")),
                    ("calls saved", "\(shared.callsSaved) fleet-wide (\(shared.creditsSaved) credits)"),
                    ("leases held", "\(shared.leases)"),
                ]
                for (name, value) in fleet {
                    Terminal.out(name.padding(toLength: 16, withPad: " ", startingAt: 0) + value)
                }
            }
        }
        Terminal.flush()
    }
}

/// `cache stats --json`: the store's figures, and the shared tier's under `"shared"`.
struct StatsReport: Encodable {
    var store: StoreStats
    var shared: SharedStats?

    enum CodingKeys: String, CodingKey { case shared }

    func encode(to encoder: any Encoder) throws {
        try store.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(shared, forKey: .shared)
    }
}
