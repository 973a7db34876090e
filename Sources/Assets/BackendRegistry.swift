import AssetTransport
import Foundation
import HeadExtraction

/// Backends by name. The standard ones are `remote`, `mock`, `record` and `replay`; a library
/// user can register their own transport under a new name.
///
/// ```swift
/// var registry = BackendRegistry.standard
/// registry.register("staging", summary: "Our staging proxy.") { configuration in
///     Backend(name: "staging", transport: CurlTransport(configuration: configuration.transport),
///             baseURL: URL(string: "https://staging.example.com")!, namespace: "ailabtools",
///             apiKey: configuration.apiKey)
/// }
/// ```
public struct BackendRegistry: Sendable {
    public typealias Factory = @Sendable (BackendConfiguration) throws(ConfigurationError) -> Backend

    public struct Entry: Sendable {
        public var name: String
        public var summary: String
        public var factory: Factory
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Adds or replaces the backend called `name`.
    public mutating func register(_ name: String, summary: String, factory: @escaping Factory) {
        entries[name] = Entry(name: name, summary: summary, factory: factory)
    }

    /// Every backend, by name.
    public var all: [Entry] { entries.values.sorted { $0.name < $1.name } }

    /// Makes the backend called `name`.
    public func make(_ name: String, configuration: BackendConfiguration) throws(ConfigurationError) -> Backend {
        guard let entry = entries[name] else {
            throw ConfigurationError("There is no backend called '\(name)'; use one of \(all.map(\.name).joined(separator: ", ")).")
        }
        return try entry.factory(configuration)
    }

    /// The names of the registered backends, which no plugin can shadow.
    public var names: Set<String> { Set(entries.keys) }

    /// Makes the engine `name` picks: a registered backend (as an ``APIEngine`` with `manager`'s
    /// retries and timeouts) or else a plugin found by ``PluginDiscovery``, started and greeted.
    ///
    /// - Throws: ``ConfigurationError`` for an unknown name or a plugin that does not start.
    public func makeEngine(
        _ name: String, configuration: BackendConfiguration, manager: AssetManagerConfiguration = AssetManagerConfiguration(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(ConfigurationError) -> any ExtractionEngine {
        if entries[name] != nil {
            return APIEngine(backend: try make(name, configuration: configuration), retryPolicy: manager.retryPolicy, transport: manager.transport)
        }
        guard let executable = PluginDiscovery.find(name, builtIns: names, environment: environment) else {
            let plugins = PluginDiscovery.all(builtIns: names, environment: environment).filter { $0.shadowedBy == nil }.map(\.name)
            throw ConfigurationError("There is no backend called '\(name)'; use one of \((all.map(\.name) + plugins).joined(separator: ", ")), or install a plugin named assets-backend-\(name).")
        }
        return await PluginEngine.start(name: name, executable: executable, environment: environment, retryPolicy: manager.retryPolicy)
    }

    /// `remote`, `mock`, `record` and `replay`.
    public static let standard: BackendRegistry = {
        var registry = BackendRegistry()
        registry.register("remote", summary: "The AILabTools API over HTTPS (needs a key).") { configuration throws(ConfigurationError) in
            let key = try requireKey(configuration, backend: "remote")
            return Backend(name: "remote", transport: CurlTransport(configuration: configuration.transport), baseURL: configuration.apiBase, namespace: Backend.realNamespace, apiKey: key)
        }
        registry.register("mock", summary: "A simulated API in this process: no key, no network, no credits.") { _ in
            let mock = MockService()
            return Backend(name: "mock", transport: mock, baseURL: mock.baseURL, namespace: "mock", requiresKey: false)
        }
        registry.register("record", summary: "The remote API, writing every exchange to --cassette FILE (needs a key).") { configuration throws(ConfigurationError) in
            let key = try requireKey(configuration, backend: "record")
            let cassette = try requireCassette(configuration, backend: "record")
            let transport = RecordingTransport(
                upstream: CurlTransport(configuration: configuration.transport), cassette: cassette,
                mode: configuration.recordMode ?? .once, secrets: [key]
            )
            return Backend(name: "record", transport: transport, baseURL: configuration.apiBase, namespace: Backend.realNamespace, apiKey: key)
        }
        registry.register("replay", summary: "Answers from --cassette FILE only: no key, no network.") { configuration throws(ConfigurationError) in
            let cassette = try requireCassette(configuration, backend: "replay")
            if let mode = configuration.recordMode, mode != .none {
                throw ConfigurationError("The replay backend only replays; use --record-mode none, or --backend record to record.")
            }
            return Backend(name: "replay", transport: ReplayTransport(cassette: cassette), baseURL: configuration.apiBase, namespace: Backend.realNamespace, apiKey: configuration.apiKey, requiresKey: false)
        }
        return registry
    }()

    private static func requireKey(_ configuration: BackendConfiguration, backend: String) throws(ConfigurationError) -> String {
        guard let key = configuration.apiKey, !key.isEmpty else {
            throw ConfigurationError("The \(backend) backend needs an API key; set AILAB_API_KEY or pass --api-key-file FILE.")
        }
        return key
    }

    private static func requireCassette(_ configuration: BackendConfiguration, backend: String) throws(ConfigurationError) -> URL {
        guard let cassette = configuration.cassette else {
            throw ConfigurationError("The \(backend) backend needs --cassette FILE.")
        }
        return cassette
    }
}
