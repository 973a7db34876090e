import ArgumentParser
import Assets
import AssetTransport
import Foundation
import HeadExtraction

/// The flags that choose and configure a backend, with their environment fallbacks.
struct BackendOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The backend: remote, mock, record, replay or a plugin's name (default: $ASSETS_BACKEND, else remote).", valueName: "name"))
    var backend: String?

    @Option(help: ArgumentHelp("The longest one call may take, an API call or a plugin request, in seconds.", valueName: "seconds"))
    var timeout: Double = 60

    @Option(name: .customLong("api-key-file"), help: ArgumentHelp("Read the API key from this file (default: $AILAB_API_KEY). Never pass the key itself as a flag.", valueName: "file"))
    var apiKeyFile: String?

    @Option(name: .customLong("api-base"), help: ArgumentHelp("The API's base URL (default: $AILAB_API_BASE, else https://www.ailabapi.com).", valueName: "url"))
    var apiBase: String?

    @Flag(name: .customLong("allow-insecure-http"), help: "Allow plain http to hosts other than loopback (also ASSETS_ALLOW_HTTP=1).")
    var allowInsecureHTTP = false

    @Option(help: ArgumentHelp("The cassette for the record and replay backends; binary bodies live in FILE.blobs/.", valueName: "file"))
    var cassette: String?

    @Option(name: .customLong("record-mode"), help: ArgumentHelp("once, new, all or none (default: once for record, none for replay).", valueName: "mode"))
    var recordMode: String?

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else {
            throw ValidationError("--timeout takes a number of seconds above 0 and at most 86400, not \(timeout).")
        }
        if let recordMode, RecordMode(rawValue: recordMode) == nil {
            throw ValidationError("--record-mode takes once, new, all or none, not '\(recordMode)'.")
        }
    }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var backendName: String {
        if let backend, !backend.isEmpty { return backend }
        if let fromEnvironment = environment["ASSETS_BACKEND"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "remote"
    }

    /// The manager's settings these flags decide: the call timeout.
    func managerConfiguration(_ base: AssetManagerConfiguration = AssetManagerConfiguration()) -> AssetManagerConfiguration {
        var configuration = base
        configuration.transport = transportConfiguration
        return configuration
    }

    /// Resolves flags and environment into an engine: a built-in backend or a plugin, started.
    /// Prints one `Error:` line and exits 2 when that cannot be done.
    func makeEngine(_ manager: AssetManagerConfiguration, registry: BackendRegistry = .standard) async throws -> any ExtractionEngine {
        do {
            return try await registry.makeEngine(backendName, configuration: try configuration(), manager: manager, environment: environment)
        } catch {
            throw Terminal.fail(FlagAdvice.message(error))
        }
    }

    var transportConfiguration: TransportConfiguration {
        var transport = TransportConfiguration()
        transport.allowInsecureHTTP = allowInsecureHTTP || environment["ASSETS_ALLOW_HTTP"] == "1"
        transport.requestTimeout = .milliseconds(Int64(timeout * 1000))
        return transport
    }

    func configuration() throws(ConfigurationError) -> BackendConfiguration {
        let transport = transportConfiguration

        let baseText = apiBase ?? environment["AILAB_API_BASE"].flatMap { $0.isEmpty ? nil : $0 } ?? HeadExtractionAPI.defaultBaseURL.absoluteString
        guard let base = URL(string: baseText), let scheme = base.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = base.host, !host.isEmpty else {
            throw ConfigurationError("The API base URL '\(baseText)' is not an http or https URL; fix --api-base or AILAB_API_BASE.")
        }
        if scheme == "http", !transport.allowInsecureHTTP, !URLPolicy.isLoopback(host: host) {
            throw ConfigurationError("The API base URL \(baseText) uses plain http to a host that is not loopback; use https, or pass --allow-insecure-http.")
        }

        return BackendConfiguration(
            apiBase: base, apiKey: try apiKey(), cassette: cassette.map { URL(fileURLWithPath: $0) },
            recordMode: recordMode.flatMap(RecordMode.init(rawValue:)), transport: transport
        )
    }

    /// The key from `--api-key-file`, else `AILAB_API_KEY`. Its value never appears in a message.
    private func apiKey() throws(ConfigurationError) -> String? {
        if let apiKeyFile {
            guard let data = FileManager.default.contents(atPath: apiKeyFile) else {
                throw ConfigurationError("Cannot read the API key file \(apiKeyFile); check the path and its permissions.")
            }
            let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw ConfigurationError("The API key file \(apiKeyFile) is empty; put the key on its first line.") }
            guard !key.contains(where: \.isNewline) else {
                throw ConfigurationError("The API key file \(apiKeyFile) has more than one line; keep only the key in it.")
            }
            return key
        }
        if let key = environment["AILAB_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty {
            return key
        }
        return nil
    }
}
