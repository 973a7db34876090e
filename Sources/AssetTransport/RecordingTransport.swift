import Foundation

/// A ``Transport`` that passes requests upstream and records each exchange in a ``Cassette``.
///
/// ```swift
/// let recorder = RecordingTransport(
///     upstream: CurlTransport(), cassette: URL(fileURLWithPath: "api.cassette.json"),
///     mode: .new, secrets: [apiKey], redactHeaders: ["x-api-key"]
/// )
/// let response = try await recorder.send(request)   // recorded, or replayed if already there
/// ```
///
/// The `Authorization`, `Proxy-Authorization`, `Cookie` and `x-amz-security-token` headers, and
/// any header named in `redactHeaders` (such as an API's own key header), are written as
/// ``Cassette/redacted``. Every save is
/// refused, and nothing is written, if a secret of 8 characters or more would appear in the
/// JSON or in a blob; the values of redacted headers, and a signed request's secret key and
/// session token, count as secrets too. A request's ``HTTPRequest/signature`` is never
/// recorded: a replayed exchange needs no credentials.
///
/// - Important: `Sendable`; concurrent calls share one cassette safely. Transport errors
///   (timeouts, refused connections) are thrown, not recorded.
public struct RecordingTransport: Transport {
    /// The mode in effect: `once` resolves to `none` or `all` when the transport is made.
    public let mode: RecordMode
    private let upstream: any Transport
    private let store: CassetteStore
    private let secrets: [String]
    private let redactHeaders: Set<String>

    /// - Parameters:
    ///   - upstream: where requests go when they are recorded, usually ``CurlTransport``.
    ///   - cassette: the JSON file; its blobs live in `FILE.blobs/`.
    ///   - mode: when to go upstream; see ``RecordMode``.
    ///   - secrets: values that must never be written, such as the API key.
    ///   - redactHeaders: more header names whose values are not recorded, such as the
    ///     header an API takes its key in.
    public init(upstream: any Transport, cassette: URL, mode: RecordMode, secrets: [String], redactHeaders: [String] = []) {
        let resolved: RecordMode = switch mode {
        case .once: FileManager.default.fileExists(atPath: cassette.path) ? .none : .all
        default: mode
        }
        self.mode = resolved
        self.upstream = upstream
        self.store = CassetteStore(url: cassette, startEmpty: resolved == .all)
        self.secrets = secrets
        self.redactHeaders = Set(redactHeaders.map { $0.lowercased() })
    }

    /// Replays a recorded answer when the mode allows, else sends upstream and records.
    ///
    /// - Throws: the upstream's error (not recorded), ``TransportError/Code/replayMiss`` in
    ///   mode `none`, or ``TransportError/Code/cassette`` when the exchange cannot be saved.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let hit = try await replayed(request, kind: .send) {
            return try await store.response(for: hit)
        }
        let (recorded, requestBlobs) = try Cassette.Request.recording(request, redacting: redactHeaders)
        let response = try await upstream.send(request)
        var blobs = requestBlobs
        let body = Cassette.Body.of(response.body, inline: true)
        if body.text == nil { blobs[body.sha256] = response.body }
        let interaction = Cassette.Interaction(
            kind: .send, request: recorded,
            response: Cassette.Response(status: response.status, headers: response.headers, body: body)
        )
        try await store.record(interaction, blobs: blobs, secrets: secrets(of: request))
        return response
    }

    /// Like ``send(_:)``, for a download; the downloaded file is recorded as a blob. When the
    /// exchange cannot be saved, the downloaded file is removed before the error is thrown.
    public func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
        if let hit = try await replayed(request, kind: .download) {
            return try await store.download(hit, to: destination, limit: limit)
        }
        let (recorded, requestBlobs) = try Cassette.Request.recording(request, redacting: redactHeaders)
        let response = try await upstream.download(request, to: destination, limit: limit)
        do {
            var blobs = requestBlobs
            var file: Cassette.Body?
            if response.isSuccess {
                guard let data = try? Data(contentsOf: destination) else {
                    throw TransportError(.localFile, "Could not read the download at \(destination.path) to record it; check that the folder is readable.")
                }
                file = Cassette.Body.of(data, inline: false)
                blobs[SHA256Hex.of(data)] = data
            }
            let body = Cassette.Body.of(response.body, inline: true)
            if body.text == nil { blobs[body.sha256] = response.body }
            let interaction = Cassette.Interaction(
                kind: .download, request: recorded,
                response: Cassette.Response(status: response.status, headers: response.headers, body: body, file: file)
            )
            try await store.record(interaction, blobs: blobs, secrets: secrets(of: request))
        } catch {
            // The call fails, so it must not leave a file its caller could take for a result.
            if response.isSuccess { unlink(destination.path) }
            throw error
        }
        return response
    }

    /// The recorded answer when the mode replays and one matches; throws a miss in `none`.
    private func replayed(_ request: HTTPRequest, kind: Cassette.Interaction.Kind) async throws -> Cassette.Interaction? {
        guard mode != .all else { return nil }
        let fingerprint = RequestFingerprint(try Cassette.Request.describing(request), kind: kind)
        if let hit = try await store.next(for: fingerprint, requireFile: mode == .none) { return hit }
        if mode == .none { throw store.miss(fingerprint) }
        return nil
    }

    private func secrets(of request: HTTPRequest) -> [String] {
        let redacted = Cassette.Request.alwaysRedacted.union(redactHeaders)
        return secrets + (request.signature?.secrets ?? [])
            + request.headers.filter { redacted.contains($0.name.lowercased()) }.map(\.value)
    }
}
