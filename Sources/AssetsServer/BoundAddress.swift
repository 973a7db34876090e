import Foundation
import NIOCore
import Synchronization

/// The address a server ended up listening on, known only once it is bound (`--port 0`).
final class BoundAddress: Sendable {
    private let url = Mutex<URL?>(nil)

    var value: URL? { url.withLock { $0 } }

    /// Notes the listening socket's address; a wildcard host is reported as loopback.
    func set(host: String, channel: any Channel) {
        guard let port = channel.localAddress?.port else { return }
        url.withLock { $0 = Self.url(host: host, port: port) }
    }

    /// `http://HOST:PORT`, with `0.0.0.0` and `::` as the loopback address of their family.
    static func url(host: String, port: Int) -> URL {
        var host = host
        if host == "0.0.0.0" || host.isEmpty { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        return URL(string: "http://\(host):\(port)")!
    }
}
