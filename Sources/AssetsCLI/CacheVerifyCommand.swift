import ArgumentParser
import AssetStore

struct CacheVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every blob and check every catalog row against its blobs.",
        discussion: "Exits 1 if anything is wrong. With --repair, corrupt blobs are quarantined and the rows that need them removed, so those inputs are fetched again next time."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Quarantine corrupt blobs and remove the rows that point at missing or corrupt ones.")
    var repair = false

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func run() throws {
        Maintenance.yieldToServers()
        let store = try storeOptions.open(readOnlyIfUnwritable: true)
        let report = try Terminal.run { try store.verify(repair: repair) }
        if json {
            Terminal.out(Terminal.json(report))
        } else {
            for hex in report.corruptBlobs { Terminal.out("corrupt blob \(hex)") }
            for hex in report.missingBlobs { Terminal.out("missing blob \(hex)") }
            for hex in report.brokenEntries { Terminal.out("broken extraction \(hex)") }
            for row in report.malformedRows { Terminal.out("malformed \(row.table) row \(row.identifier): \(row.problem)") }
            var summary = "checked \(report.blobsChecked) blob\(report.blobsChecked == 1 ? "" : "s") and \(report.entriesChecked) extraction\(report.entriesChecked == 1 ? "" : "s"): "
            summary += report.isClean ? "all intact" : "\(report.corruptBlobs.count) corrupt, \(report.missingBlobs.count) missing, \(report.brokenEntries.count) broken" + (report.malformedRows.isEmpty ? "" : ", \(report.malformedRows.count) malformed row\(report.malformedRows.count == 1 ? "" : "s")")
            if report.orphanFiles > 0 { summary += "; \(report.orphanFiles) orphan file\(report.orphanFiles == 1 ? "" : "s") (gc sweeps them)" }
            if report.repaired {
                summary += "; repaired: quarantined \(report.quarantined.count), removed \(report.removedEntries) extraction\(report.removedEntries == 1 ? "" : "s") to fetch again" + (report.quarantinedRows == 0 ? "" : ", quarantined \(report.quarantinedRows) malformed row\(report.quarantinedRows == 1 ? "" : "s")")
            }
            Terminal.out(summary)
        }
        Terminal.flush()
        // After a repair the store is usable again, but the run still found faults: say so.
        if !report.isClean { throw ExitCode(1) }
    }
}
