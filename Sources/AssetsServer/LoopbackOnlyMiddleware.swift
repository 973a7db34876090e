import Hummingbird
import NIOCore

/// Refuses every request that does not come from this machine, with 403.
///
/// Guards the mock server's fault controls: anyone who can reach the mock may use it, but only
/// a local process may make it misbehave. A request without a socket peer is refused too.
public struct LoopbackOnlyMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Loopback.contains(context.remoteAddress) else {
            return BlobRoute.plain(.forbidden, "The mock's control routes answer only clients on this machine.")
        }
        return try await next(request, context)
    }
}

/// This machine's own addresses.
public enum Loopback {
    /// Whether `address` is in 127.0.0.0/8, `::1`, or `::ffff:127.0.0.0/104`. `nil` is not.
    public static func contains(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .v4(let v4):
            // sin_addr is in network byte order: the first octet is the lowest byte in memory.
            let octets = withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) }
            return octets.first == 127
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            let isLocalhost = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
            let isMappedV4Loopback = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
            return isLocalhost || isMappedV4Loopback
        case .unixDomainSocket:
            // Reaching a Unix socket already takes access to this machine's file system.
            return true
        }
    }
}
