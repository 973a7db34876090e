import ArgumentParser
import Assets
import Foundation

struct BackendsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "List the backends --backend can name: the built-ins, then the plugins found.",
        discussion: """
            Plugins are executables named assets-backend-NAME in $ASSETS_BACKEND_PATH (colon-separated), \
            then $XDG_DATA_HOME/assets/backends (else ~/.local/share/assets/backends), then $PATH; the first \
            of a name wins. Each is started to read its hello (name, version, engine), then told to stop. \
            One that does not start is listed as broken, with the reason.
            """
    )

    func run() async throws {
        let registry = BackendRegistry.standard
        let builtIns = registry.all
        let environment = ProcessInfo.processInfo.environment
        let plugins = PluginDiscovery.all(builtIns: registry.names, environment: environment)
        let width = ((builtIns.map(\.name) + plugins.map(\.name)).map(\.count).max() ?? 0) + 2
        for entry in builtIns {
            Terminal.out(entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "built-in  " + entry.summary)
        }
        for plugin in plugins {
            let column = plugin.name.padding(toLength: width, withPad: " ", startingAt: 0)
            if let shadow = plugin.shadowedBy {
                Terminal.out(column + "shadowed  \(plugin.url.path) (hidden by \(shadow))")
                continue
            }
            let engine = await PluginEngine.start(name: plugin.name, executable: plugin.url, environment: environment, retryPolicy: .none)
            await engine.shutdown()
            if let failure = engine.startFailure {
                Terminal.out(column + "broken    \(plugin.url.path): \(failure.message) [\(failure.code)]")
            } else {
                let identity = engine.identity
                Terminal.out(column + "plugin    version \(identity.version ?? "?"), engine \(identity.engineID ?? "?"), \(plugin.url.path)")
            }
        }
        Terminal.flush()
    }
}
