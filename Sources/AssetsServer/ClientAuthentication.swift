/// Who may call the drop-in extraction endpoint: an explicit choice, never a default.
///
/// ```swift
/// AssetsServerConfiguration(authentication: .keys(ClientKeys(["client1"])))
/// // Behind a gateway that already checks callers:
/// AssetsServerConfiguration(authentication: .none)
/// ```
public enum ClientAuthentication: Sendable {
    /// Only requests that present one of these keys in `ailabapi-api-key`; the others get the
    /// API's 401 (`ERROR_APPLICATIONS_NOT_EXISTS`) before their body is read.
    case keys(ClientKeys)
    /// Every request is served, with or without a key, and no key check is installed. For an
    /// endpoint mounted behind your own authentication, or reachable only by trusted callers.
    case none

    /// Whether a request presenting `candidate` (or no key, `nil`) is let through.
    public func admits(_ candidate: String?) -> Bool {
        switch self {
        case .keys(let keys): keys.accepts(candidate)
        case .none: true
        }
    }
}
