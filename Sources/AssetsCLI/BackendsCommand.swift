import ArgumentParser
import Assets

struct BackendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "List the backends --backend can name."
    )

    func run() throws {
        let entries = BackendRegistry.standard.all
        let width = (entries.map(\.name.count).max() ?? 0) + 2
        for entry in entries {
            Terminal.out(entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + entry.summary)
        }
        Terminal.flush()
    }
}
