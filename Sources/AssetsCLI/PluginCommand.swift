import ArgumentParser
import Assets
import Foundation
import HeadExtraction

struct PluginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "Tools for backend plugin authors.",
        subcommands: [PluginCheckCommand.self]
    )
}

struct PluginCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run a plugin through the protocol as assets will, and print what passed.",
        discussion: """
            Checks the hello, init and ready, one extraction of a portrait (and of a mask, if it offers \
            masks), a photo with no face, a cancel and the shutdown. Exits 1 if any check failed.
            """
    )

    @Argument(help: "The plugin's name (assets-backend-NAME, found as --backend finds it) or a path to it.")
    var name: String

    @Option(help: ArgumentHelp("A portrait to extract (default: a bundled sample).", valueName: "file"))
    var photo: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let executable: URL
        let pluginName: String
        if name.contains("/") {
            executable = URL(fileURLWithPath: name)
            pluginName = String(executable.lastPathComponent.dropFirst(executable.lastPathComponent.hasPrefix(PluginDiscovery.prefix) ? PluginDiscovery.prefix.count : 0))
        } else if let found = PluginDiscovery.find(name, builtIns: BackendRegistry.standard.names, environment: environment) {
            executable = found
            pluginName = name
        } else {
            throw Terminal.fail("No plugin called \(name) was found (assets-backend-\(name) in $ASSETS_BACKEND_PATH, the XDG data folder or $PATH); pass its path instead.")
        }
        let portrait: Data
        if let photo {
            guard let data = FileManager.default.contents(atPath: photo) else { throw Terminal.fail("Cannot read \(photo); check the path.") }
            portrait = data
        } else {
            portrait = SamplePhotos.portrait
        }
        let checks = await PluginConformance.run(name: pluginName, executable: executable, portrait: portrait, noFace: try SamplePhotos.noFace())
        for check in checks {
            Terminal.out("\(check.outcome.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(check.name): \(check.detail)")
        }
        let failed = checks.filter { $0.outcome == .failed }.count
        Terminal.out(failed == 0 ? "passed" : "failed: \(failed) check(s)")
        Terminal.flush()
        if failed > 0 { throw ExitCode(1) }
    }
}
