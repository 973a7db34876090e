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
