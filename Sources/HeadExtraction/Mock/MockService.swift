import AssetTransport
import Crypto
import DurableFiles
import Foundation

/// A simulated Head Extraction API, as a ``Transport``: no key, no network, deterministic answers.
///
/// ```swift
/// let mock = MockService()
/// mock.faults.withLock { $0.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS")] }
/// let client = HeadExtractionClient(transport: mock, baseURL: mock.baseURL, apiKey: "any")
/// ```
///
/// It answers like the real API: the full legacy envelope with the statuses in force since
/// 2026-01-08, ``ImageProbe``'s checks with the API's codes, and one head per image by default.
/// Heads are placed from the input's dimensions and SHA-256, so the same input always gets the
/// same elements; their result URLs (`{baseURL}/mock/results/<name>.png`) regenerate statelessly.
/// - Important: Thread-safe. ``faults`` and ``counters`` may be read and changed at any time.
public final class MockService: Transport, Sendable {
    /// The base URL the mock answers for and builds result URLs from.
    public let baseURL: URL
    /// What to do differently from a healthy API.
    public let faults = LockedValue(MockFaults())
    /// Calls seen so far.
    public let counters = LockedValue(MockCounters())

    /// The path under ``baseURL`` where result images live.
    public static let resultsPath = "/mock/results/"

    public init(baseURL: URL = URL(string: "http://mock.ailabapi.invalid")!) {
        self.baseURL = baseURL
    }

    /// Clears every fault and counter.
    public func reset() {
        faults.withLock { $0 = MockFaults() }
        counters.withLock { $0 = MockCounters() }
    }

    /// Answers an API call (extraction, credits), a result image (`GET` under ``resultsPath``), or 404.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let path = request.url.path
        if path.hasSuffix(HeadExtractionAPI.extractionPath), request.method == "POST" {
            counters.withLock { $0.extractionCalls += 1 }
            try await pause()
            if let refusal = try refusal(for: request) { return refusal }
            return try extraction(request)
        }
        if path.hasSuffix(HeadExtractionAPI.creditsPath), request.method == "GET" {
            counters.withLock { $0.creditsCalls += 1 }
            try await pause()
            if let refusal = try refusal(for: request) { return refusal }
            return credits()
        }
        if path.contains(Self.resultsPath), request.method == "GET" {
            counters.withLock { $0.downloads += 1 }
            try await pause()
            let (response, png) = try result(for: request.url, limit: nil)
            return png.map { HTTPResponse(status: 200, headers: response.headers, body: $0) } ?? response
        }
        try await pause()
        return answer(.failure(code: "ERROR_RESOURCE_NOT_FOUND", message: "No route for \(request.method) \(path).", requestID: newID(), logID: newID()))
    }

    /// Serves a result image into `destination`, honouring the next ``DownloadFault`` and `limit`.
    public func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
        counters.withLock { $0.downloads += 1 }
        try await pause()
        let (response, png) = try result(for: request.url, limit: limit)
        guard let png else { return response }
        do {
            try AtomicFile.write(png, to: destination)
        } catch {
            throw TransportError(.localFile, "The download cannot be written to \(destination.path); check the folder exists and is writable.")
        }
        return response
    }

    // MARK: - Shared by every route

    func pause() async throws {
        let latency = faults.value.latency
        if latency > .zero { try await Task.sleep(for: latency) }
    }

    /// The answer to an API call that must not proceed: a bad key or a scripted error.
    private func refusal(for request: HTTPRequest) throws -> HTTPResponse? {
        let key = request.headers[name: HeadExtractionAPI.apiKeyHeader]
        return try refusal(keyAccepted: !(faults.value.requireKey && (key == nil || key == "" || key == "bad")))
    }

    /// The answer to a call that must not proceed, or `nil`: ``MockFaults/requireKey`` with a
    /// key that is not accepted, else the next scripted error.
    ///
    /// - Throws: ``TransportError`` for a scripted transfer failure.
    func refusal(keyAccepted: Bool) throws -> HTTPResponse? {
        let scripted = faults.withLock { faults in faults.scriptedErrors.isEmpty ? nil : faults.scriptedErrors.removeFirst() }
        if !keyAccepted {
            return answer(.failure(code: "ERROR_APPLICATIONS_NOT_EXISTS", requestID: newID(), logID: newID()))
        }
        guard let scripted else { return nil }
        if scripted.throwsTransportError {
            throw TransportError(TransportError.Code(rawValue: scripted.code), "The mock was told to fail this transfer with \(scripted.code); try again.")
        }
        var headers: [HTTPHeader] = []
        if let seconds = scripted.retryAfterSeconds { headers.append(HTTPHeader("Retry-After", String(seconds))) }
        if let body = scripted.body {
            return HTTPResponse(status: scripted.status ?? 200, headers: headers, body: Data(body.utf8))
        }
        var response = answer(.failure(code: scripted.code, status: scripted.status, requestID: newID(), logID: newID()))
        response.headers += headers
        return response
    }

    func answer(_ envelope: Envelope) -> HTTPResponse {
        HTTPResponse(
            status: envelope.servedStatus,
            headers: [HTTPHeader("Content-Type", "application/json")],
            body: envelope.jsonData()
        )
    }

    func newID() -> String {
        UUID().uuidString.lowercased()
    }
}
