import ArgumentParser
import Assets
import AssetsServer
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the API's extraction endpoint with a cache in front, for web backends.",
        discussion: """
            Clients call POST /api/cutout/portrait/avatar-extraction as they would call the API, with \
            a client key of their own in ailabapi-api-key (from ASSETS_CLIENT_KEYS or --client-keys-file). \
            Result URLs point at GET /blobs/<sha256>.png on this server and never expire. \
            Also serves /healthz and /metrics. SIGTERM or SIGINT stops it gracefully.
            """
    )

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "host"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("The port to listen on; 0 picks a free one and prints it.", valueName: "port"))
    var port = 8080

    @Option(name: .customLong("public-url"), help: ArgumentHelp("The base of image_url in answers (default: http:// and the Host the client used).", valueName: "url"))
    var publicURL: String?

    @Option(name: .customLong("client-keys-file"), help: ArgumentHelp("Read client keys from this file, one a line, # for comments (default: $ASSETS_CLIENT_KEYS, comma-separated).", valueName: "file"))
    var clientKeysFile: String?

    @Option(name: .customLong("max-connections"), help: ArgumentHelp("The most connections open at once; more get 503 (default: sized from the open-file limit, at most 4096).", valueName: "n"))
    var maxConnections: Int?

    @Option(name: .customLong("max-misses"), help: ArgumentHelp("The most new photos fetched upstream at once (default: sized from the open-file limit, at most 32).", valueName: "n"))
    var maxMisses: Int?

    @Option(name: .customLong("max-queued-misses"), help: ArgumentHelp("The most new photos waiting for --max-misses; more get 503 with Retry-After.", valueName: "n"))
    var maxQueuedMisses = 1024

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds a connection may stay open without a request.", valueName: "seconds"))
    var idleTimeout: Double = 30

    @Option(name: .customLong("header-timeout"), help: ArgumentHelp("Seconds a client has to send a request's head, from its first byte.", valueName: "seconds"))
    var headerTimeout: Double = 10

    @Option(name: .customLong("body-timeout"), help: ArgumentHelp("Seconds a client has to send a request's body, from the end of its head.", valueName: "seconds"))
    var bodyTimeout: Double = 60

    @Option(help: ArgumentHelp("never (default): answer like the API, refusing photos it does not take; auto: fit uploads to the backend's limits (uploads may then be up to 64 MiB).", valueName: "auto|never"))
    var fit: FitMode = .never

    @Option(name: .customLong("max-pixels"), help: ArgumentHelp("With --fit auto, the largest upload decoded, in pixels.", valueName: "n"))
    var maxPixels = FitMode.defaultMaxPixels

    @Option(name: .customLong("max-calls-per-day"), help: ArgumentHelp("The most calls to the backend a UTC day, counted in the store across restarts; further new photos get 429 SPEND_LIMIT_REACHED and cost nothing.", valueName: "n"))
    var maxCallsPerDay: Int?

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var sharedOptions: SharedTierOptions
    @OptionGroup var backendOptions: BackendOptions

    func validate() throws {
        guard maxPixels > 0 else { throw ValidationError("--max-pixels takes a positive number of pixels, such as 100000000, not \(maxPixels).") }
        guard (0...65535).contains(port) else { throw ValidationError("--port takes a number from 0 to 65535, not \(port).") }
        for (name, value) in [("--max-connections", maxConnections), ("--max-misses", maxMisses)] {
            if let value, value < 1 { throw ValidationError("\(name) takes a number of at least 1, not \(value).") }
        }
        if let maxCallsPerDay, maxCallsPerDay < 0 { throw ValidationError("--max-calls-per-day takes a number of at least 0, not \(maxCallsPerDay).") }
        guard maxQueuedMisses >= 0 else { throw ValidationError("--max-queued-misses takes a number of at least 0, not \(maxQueuedMisses).") }
        for (name, value) in [("--idle-timeout", idleTimeout), ("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout)] {
            guard value > 0, value <= 86_400 else { throw ValidationError("\(name) takes a number of seconds above 0 and at most 86400, not \(value).") }
        }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--public-url takes an http or https URL, not '\(publicURL)'.")
            }
        }
    }

    func run() async throws {
        let keys: ClientKeys
        do {
            keys = try ClientKeys.load(file: clientKeysFile, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw Terminal.fail(error.message)
        }
        let store = try storeOptions.open()
        // Every connection and miss holds files: raise the soft limit as far as allowed, and
        // size the caps from it, so no number of clients can exhaust the process's files.
        // Files already open (inherited ones too) are not there to spend.
        var (limits, misses) = ServerLimits.derived(fromFileLimit: ServerLimits.raiseFileLimit() - ServerLimits.openFiles())
        if let maxConnections { limits.maxConnections = maxConnections }
        limits.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        limits.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
        limits.bodyTimeout = .milliseconds(Int64(bodyTimeout * 1000))
        var managerConfiguration = backendOptions.managerConfiguration()
        managerConfiguration.maxConcurrentMisses = maxMisses ?? misses
        managerConfiguration.maxQueuedMisses = maxQueuedMisses
        managerConfiguration.spendLimit.maxCallsPerDay = maxCallsPerDay
        // The manager counts into the registry /metrics exports, and logs beside the access log.
        let metrics = ServerMetrics()
        managerConfiguration.metrics = metrics.factory
        managerConfiguration.logger = .standardError(label: "assets")
        managerConfiguration.shared = try await sharedOptions.openChecked(logger: .standardError(label: "assets.shared"))
        let manager = AssetManager(store: store, engine: try await backendOptions.makeEngine(managerConfiguration), configuration: managerConfiguration)
        let server = AssetsServerApp(
            manager: manager,
            configuration: AssetsServerConfiguration(clientKeys: keys, publicURL: publicURL.flatMap(URL.init(string:)), fit: fit, maxPixels: maxPixels, limits: limits),
            host: host, port: port, logger: .standardError(label: "assets.serve"), metrics: metrics
        )
        do {
            try await server.run { url in
                Terminal.out("listening on \(url.absoluteString)")
                Terminal.flush()
            }
        } catch {
            await manager.shutdown()
            throw Terminal.fail("Cannot serve on \(host):\(port) (\(error)); choose another --host or --port.")
        }
        // A plugin serves the whole lifetime; it is told to stop once the server has.
        await manager.shutdown()
        await managerConfiguration.shared?.shutdown()
    }
}
