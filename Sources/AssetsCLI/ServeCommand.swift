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

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var backendOptions: BackendOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port takes a number from 0 to 65535, not \(port).") }
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
        let manager = AssetManager(store: store, backend: try backendOptions.makeBackend())
        let server = AssetsServerApp(
            manager: manager,
            configuration: AssetsServerConfiguration(clientKeys: keys, publicURL: publicURL.flatMap(URL.init(string:))),
            host: host, port: port, logger: .standardError(label: "assets.serve")
        )
        do {
            try await server.run { url in
                Terminal.out("listening on \(url.absoluteString)")
                Terminal.flush()
            }
        } catch {
            throw Terminal.fail("Cannot serve on \(host):\(port) (\(error)); choose another --host or --port.")
        }
    }
}
