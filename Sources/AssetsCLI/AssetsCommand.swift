import ArgumentParser

@main
struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "A persistent, content-addressed cache in front of the AILabTools Head Extraction API.",
        version: "assets 0.1.0",
        subcommands: [ExtractCommand.self, CacheCommand.self, BackendsCommand.self, CreditsCommand.self, ServeCommand.self, MockServerCommand.self]
    )
}
