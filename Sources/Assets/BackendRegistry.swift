import AssetTransport
import Foundation
import HeadExtraction

/// Backends by name: the engines `--backend` picks. The standard ones are `remote`, `record`
/// and `replay` (the API over a transport), and `mock` (an engine in this process); plugins are
/// found beside them by ``PluginDiscovery``. A Swift app can register its own, either a
/// transport for the API or a whole engine.
///
/// ```swift
/// var registry = BackendRegistry.standard
/// registry.register("staging", summary: "Our staging proxy.") { configuration in
///     Backend(name: "staging", transport: CurlTransport(configuration: configuration.transport),
///             baseURL: URL(string: "https://staging.example.com")!, namespace: "ailabtools",
///             apiKey: configuration.apiKey)
/// }
/// registry.register("ours", summary: "Our own model, in process.") { _, _ in OurEngine() }
/// let engine = try await registry.makeEngine("ours", configuration: BackendConfiguration())
/// ```
public struct BackendRegistry: Sendable {
    /// Makes a way to reach the API (or a stand-in for it): answered through ``APIEngine``.
    public typealias Factory = @Sendable (BackendConfiguration) throws(ConfigurationError) -> Backend
    /// Makes an engine, given the flags and the manager's retries and timeouts.
    public typealias EngineFactory = @Sendable (BackendConfiguration, AssetManagerConfiguration) async throws(ConfigurationError) -> any ExtractionEngine

    public struct Entry: Sendable {
        public var name: String
        public var summary: String
        public var kind: Kind

        /// What an entry makes.
        public enum Kind: Sendable {
            /// A transport and base URL for the API's wire format.
            case api(Factory)
            /// An engine.
            case engine(EngineFactory)
        }
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Adds or replaces the API backend called `name`.
    public mutating func register(_ name: String, summary: String, factory: @escaping Factory) {
        entries[name] = Entry(name: name, summary: summary, kind: .api(factory))
    }

    /// Adds or replaces the engine called `name`, which no plugin of that name can shadow.
    public mutating func register(_ name: String, summary: String, engine: @escaping EngineFactory) {
        entries[name] = Entry(name: name, summary: summary, kind: .engine(engine))
    }

    /// Every registered backend, by name.
    public var all: [Entry] { entries.values.sorted { $0.name < $1.name } }

    /// Makes the API backend called `name`.
    ///
    /// - Throws: ``ConfigurationError`` for an unknown name, or one that names an engine
    ///   (use ``makeEngine(_:configuration:manager:environment:)`` for those).
    public func make(_ name: String, configuration: BackendConfiguration) throws(ConfigurationError) -> Backend {
        guard let entry = entries[name] else {
            throw ConfigurationError("There is no backend called '\(name)'; use one of \(all.map(\.name).joined(separator: ", ")).")
        }
        guard case .api(let factory) = entry.kind else {
            throw ConfigurationError("The \(name) backend is an engine, not a way to reach the API; make it with makeEngine.")
        }
        return try factory(configuration)
    }

    /// The names of the registered backends, which no plugin can shadow.
    public var names: Set<String> { Set(entries.keys) }

    /// Makes the engine `name` picks: a registered engine, a registered API backend (as an
    /// ``APIEngine`` with `manager`'s retries and timeouts), or else a plugin found by
    /// ``PluginDiscovery``, started and greeted.
    ///
    /// - Throws: ``ConfigurationError`` for an unknown name or a plugin that does not start.
    public func makeEngine(
        _ name: String, configuration: BackendConfiguration, manager: AssetManagerConfiguration = AssetManagerConfiguration(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(ConfigurationError) -> any ExtractionEngine {
        switch entries[name]?.kind {
        case .api(let factory)?:
            return APIEngine(backend: try factory(configuration), retryPolicy: manager.retryPolicy, transport: manager.transport)
        case .engine(let factory)?:
            return try await factory(configuration, manager)
        case nil:
            break
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
        registry.register("mock", summary: "A simulated API in this process: no key, no network, no credits.") { _, manager in
            MockEngine(retryPolicy: manager.retryPolicy)
        }
        registry.register("record", summary: "The remote API, writing every exchange to a cassette file (needs a key).") { configuration throws(ConfigurationError) in
            let key = try requireKey(configuration, backend: "record")
            let cassette = try requireCassette(configuration, backend: "record")
            let transport = RecordingTransport(
                upstream: CurlTransport(configuration: configuration.transport), cassette: cassette,
                mode: configuration.recordMode ?? .once, secrets: [key], redactHeaders: [HeadExtractionAPI.apiKeyHeader]
            )
            return Backend(name: "record", transport: transport, baseURL: configuration.apiBase, namespace: Backend.realNamespace, apiKey: key)
        }
        registry.register("replay", summary: "Answers from a cassette file only: no key, no network.") { configuration throws(ConfigurationError) in
            let cassette = try requireCassette(configuration, backend: "replay")
            if let mode = configuration.recordMode, mode != .none {
                throw ConfigurationError("The replay backend only replays; use record mode none, or the record backend to record.", kind: .recordModeRefused)
            }
            return Backend(name: "replay", transport: ReplayTransport(cassette: cassette), baseURL: configuration.apiBase, namespace: Backend.realNamespace, apiKey: configuration.apiKey, requiresKey: false)
        }
        return registry
    }()

    private static func requireKey(_ configuration: BackendConfiguration, backend: String) throws(ConfigurationError) -> String {
        guard let key = configuration.apiKey, !key.isEmpty else {
            throw ConfigurationError("The \(backend) backend needs an API key; give it the AILabTools API key.", kind: .missingAPIKey)
        }
        return key
    }

    private static func requireCassette(_ configuration: BackendConfiguration, backend: String) throws(ConfigurationError) -> URL {
        guard let cassette = configuration.cassette else {
            throw ConfigurationError("The \(backend) backend needs a cassette file.", kind: .missingCassette)
        }
        return cassette
    }
}
