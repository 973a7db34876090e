import ArgumentParser
import AssetStore

struct CacheGCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Evict old or least-recently-used extractions and sweep leftovers.",
        discussion: "Orphan blobs and temporary files older than an hour, and lock files nobody holds, are always swept. Safe while other processes extract: the catalog change is committed before any file is deleted."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .customLong("max-size"), help: ArgumentHelp("Evict least-recently-used extractions until the blobs take at most this much (bytes, or 500M, 2G).", valueName: "size"))
    var maxSize: String?

    @Option(name: .customLong("older-than"), help: ArgumentHelp("Evict extractions not used for this long (30d, 12h, 90m).", valueName: "age"))
    var olderThan: String?

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        if let maxSize, Quantity.bytes(maxSize) == nil {
            throw ValidationError("--max-size takes a size such as 1048576, 500M or 2G, not '\(maxSize)'.")
        }
        if let olderThan, Quantity.age(olderThan) == nil {
            throw ValidationError("--older-than takes an age such as 30d, 12h or 90m, not '\(olderThan)'.")
        }
    }

    func run() throws {
        Maintenance.yieldToServers()
        let store = try storeOptions.open()
        let report = try Terminal.run {
            try store.gc(maxSize: maxSize.flatMap(Quantity.bytes), olderThan: olderThan.flatMap(Quantity.age))
        }
        if json {
            Terminal.out(Terminal.json(report))
        } else {
            Terminal.out("evicted \(report.evictedEntries) extraction\(report.evictedEntries == 1 ? "" : "s"), removed \(report.removedBlobs) blob\(report.removedBlobs == 1 ? "" : "s") (\(Format.bytes(report.freedBytes))), swept \(report.sweptOrphans) orphan\(report.sweptOrphans == 1 ? "" : "s") and \(report.sweptTemporaryFiles) temporary file\(report.sweptTemporaryFiles == 1 ? "" : "s")\(report.sweptLocks > 0 ? ", and \(report.sweptLocks) unused lock file\(report.sweptLocks == 1 ? "" : "s")" : ""); \(Format.bytes(report.remainingBytes)) left")
        }
        Terminal.flush()
    }
}
