import ArgumentParser
import AssetsServer
import Foundation

struct MockServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-server",
        abstract: "Serve the simulated API over HTTP: no key, no credits.",
        discussion: """
            Answers the API's paths (extraction, query-credits, result downloads) like the mock backend. \
            Loopback clients can change its behaviour: GET or PUT /__mock/faults (JSON), \
            GET /__mock/counters, POST /__mock/reset. SIGTERM or SIGINT stops it.
            """
    )

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "host"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("The port to listen on; 0 picks a free one and prints it.", valueName: "port"))
    var port = 8081

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port takes a number from 0 to 65535, not \(port).") }
    }

    func run() async throws {
        let app = MockServerApp(host: host, port: port, logger: .standardError(label: "assets.mock-server"))
        do {
            try await app.run { url in
                Terminal.out("listening on \(url.absoluteString)")
                Terminal.flush()
            }
        } catch {
            throw Terminal.fail("Cannot serve on \(host):\(port) (\(error)); choose another --host or --port.")
        }
    }
}
