import ArgumentParser
import AssetStore
import SharedTier

struct CacheGCCommand: AsyncParsableCommand {
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

    @OptionGroup var sharedOptions: SharedTierOptions

    @Flag(help: "Collect the shared tier instead of the local store: remove the shared answers not used for --older-than, then the bucket's objects no answer references (older than an hour). Shared answers are never removed otherwise: each was paid for.")
    var shared = false

    @Option(help: ArgumentHelp("With --shared: keep unreferenced objects younger than this (default 1h): a host uploads its heads before it writes their answer.", valueName: "age"))
    var grace: String?

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        if let maxSize, Quantity.bytes(maxSize) == nil {
            throw ValidationError("--max-size takes a size such as 1048576, 500M or 2G, not '\(maxSize)'.")
        }
        if let olderThan, Quantity.age(olderThan) == nil {
            throw ValidationError("--older-than takes an age such as 30d, 12h or 90m, not '\(olderThan)'.")
        }
        if shared, olderThan == nil {
            throw ValidationError("--shared needs --older-than AGE (such as 90d): shared answers were paid for, so none is removed without an age.")
        }
        if let grace, Quantity.age(grace) == nil {
            throw ValidationError("--grace takes an age such as 1h or 30m, not '\(grace)'.")
        }
        if grace != nil, !shared {
            throw ValidationError("--grace is for --shared only: the local gc sweeps orphans older than an hour.")
        }
        if shared, maxSize != nil {
            throw ValidationError("--shared takes no --max-size: the shared tier is collected by age only (--older-than).")
        }
    }

    func run() async throws {
        if shared { return try await collectShared() }
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

    private func collectShared() async throws {
        guard let tier = try sharedOptions.open() else {
            throw Terminal.fail("--shared needs a shared tier; set ASSETS_SHARED_CATALOG (or pass --shared-catalog-file) and ASSETS_SHARED_BLOBS.")
        }
        let age = Quantity.age(olderThan ?? "")!
        let report: SharedGCReport
        do {
            report = try await tier.collectGarbage(olderThan: .milliseconds(Int64(age * 1000)), grace: grace.flatMap(Quantity.age).map { .milliseconds(Int64($0 * 1000)) })
        } catch let error as SharedTierError {
            await tier.shutdown()
            throw Terminal.fail(error.message)
        }
        await tier.shutdown()
        if json {
            Terminal.out(Terminal.json(report))
        } else {
            Terminal.out("removed \(report.entriesRemoved) shared answer\(report.entriesRemoved == 1 ? "" : "s") and \(report.objectsRemoved) unreferenced object\(report.objectsRemoved == 1 ? "" : "s") from the bucket\(report.objectsKept > 0 ? "; kept \(report.objectsKept) younger than the grace period" : "")")
        }
        Terminal.flush()
    }
}
