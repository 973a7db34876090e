import Hummingbird
import NIOCore

/// The request context of `assets serve` and `assets mock-server`: Hummingbird's basics plus
/// the peer's address, which the mock server's control routes need.
///
/// An app that mounts the routes with its own context needs nothing from this type: the
/// extraction and blob routes work with any `RequestContext`, and only the mock server's
/// control routes ask for a `RemoteAddressRequestContext`.
public struct AssetsRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection's peer, or `nil` when there is no socket (router tests).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
