import ArgumentParser

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect and maintain the store.",
        subcommands: [CacheStatsCommand.self, CacheListCommand.self, CacheGCCommand.self, CacheVerifyCommand.self]
    )
}
