import Foundation

/// Moves bytes to and from an HTTP endpoint.
///
/// Implementations: ``CurlTransport`` (the network), `MockService` (a simulated API),
/// ``RecordingTransport`` and ``ReplayTransport`` (cassettes). Every implementation passes
/// the shared contract suite in the tests.
///
/// - Important: Implementations are `Sendable` and may be called from many tasks at once.
public protocol Transport: Sendable {
    /// Sends a request and returns the whole response.
    ///
    /// - Throws: ``TransportError`` when no HTTP response was received (connection, timeout,
    ///   refused scheme, body over its limit). An HTTP error status is a response, not a throw.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse

    /// Downloads `request.url` into `destination`.
    ///
    /// On a 2xx status the body is written to `destination` (created or replaced) and the
    /// returned response has an empty body. On any other status nothing is written and the
    /// response carries the error body (up to 64 KiB). A body longer than `limit` bytes, or
    /// shorter than its `Content-Length`, throws and leaves no file behind.
    func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse
}
