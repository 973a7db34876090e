import ArgumentParser
import AssetsServer

@main
struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "A persistent, content-addressed cache in front of the AILabTools Head Extraction API.",
        version: "assets 0.1.0",
        subcommands: [ExtractCommand.self, CacheCommand.self, BackendsCommand.self, PluginCommand.self, CreditsCommand.self, ServeCommand.self, MockServerCommand.self]
    )

    static func main() async {
        // `assets serve` handles requests on its event loops. This must happen before any other
        // task exists, on the main thread: here, at the start of the main task.
        if CommandLine.arguments.dropFirst().first == ServeCommand.configuration.commandName {
            EventLoopConcurrency.install()
        }
        await main(nil)
    }
}
