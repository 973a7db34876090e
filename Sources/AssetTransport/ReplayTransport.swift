import Foundation

/// A ``Transport`` that answers from a recorded ``Cassette`` and never touches the network.
///
/// ```swift
/// let replay = ReplayTransport(cassette: URL(fileURLWithPath: "Tests/Cassettes/api.json"))
/// let response = try await replay.send(request)   // the recorded answer, byte for byte
/// ```
///
/// Requests match on method, URL path, multipart text fields and the SHA-256 of each file
/// part or body. Repeated identical requests get the recorded answers in order, the last
/// one repeating. A download writes the recorded file to its destination, with the same
/// limit and no-file-on-failure rules as ``CurlTransport``. No API key is needed.
///
/// - Throws: from each call, ``TransportError`` with code ``TransportError/Code/replayMiss``
///   for a request the cassette does not hold (the message names it and says how to record
///   it), or ``TransportError/Code/cassette`` when the cassette is missing or damaged.
/// - Important: `Sendable`; safe to share between tasks.
public struct ReplayTransport: Transport {
    private let store: CassetteStore

    /// - Parameter cassette: the JSON file; its blobs live in `FILE.blobs/`. It is read on
    ///   first use.
    public init(cassette: URL) {
        store = CassetteStore(url: cassette, startEmpty: false)
    }

    /// The next recorded answer to a matching `send`.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await store.response(for: match(request, kind: .send))
    }

    /// Writes the recorded file of a matching download to `destination`, or returns the
    /// recorded error response and writes nothing.
    public func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
        try await store.download(match(request, kind: .download), to: destination, limit: limit)
    }

    private func match(_ request: HTTPRequest, kind: Cassette.Interaction.Kind) async throws -> Cassette.Interaction {
        let fingerprint = RequestFingerprint(try Cassette.Request.describing(request), kind: kind)
        guard let hit = try await store.next(for: fingerprint, requireFile: true) else { throw store.miss(fingerprint) }
        return hit
    }
}
