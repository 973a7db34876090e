import AssetStore
import AssetTransport
import Foundation
import HeadExtraction

/// The AILabTools API as an ``ExtractionEngine``: `HeadExtractionClient` over a
/// ``Backend``'s transport (libcurl, a cassette being recorded or replayed, the mock).
///
/// It sends and caches exactly what the manager did before engines existed, in the backend's
/// namespace (`ailabtools` for remote, record and replay; `mock` for the mock), so stores made
/// before keep hitting. Its results are URLs, which the manager downloads at once.
public struct APIEngine: ExtractionEngine {
    public let backend: Backend
    public let client: HeadExtractionClient
    public let limits: EngineLimits

    /// - Parameters:
    ///   - backend: the transport, base URL, namespace and key.
    ///   - retryPolicy: retries of transient failures.
    ///   - transport: timeouts and the download cap.
    ///   - limits: what the engine accepts; the API's own by default.
    public init(backend: Backend, retryPolicy: RetryPolicy = RetryPolicy(), transport: TransportConfiguration = TransportConfiguration(), limits: EngineLimits = .api) {
        self.backend = backend
        self.limits = limits
        client = HeadExtractionClient(
            transport: backend.transport, baseURL: backend.baseURL, apiKey: backend.apiKey,
            retryPolicy: retryPolicy, configuration: transport, requiresKey: backend.requiresKey
        )
    }

    public var identity: EngineIdentity {
        EngineIdentity(name: backend.name, engineID: backend.namespace == Backend.realNamespace ? "ailabtools-api" : nil, namespace: backend.namespace)
    }

    public var secret: String? { backend.apiKey }

    public func extract(_ request: EngineRequest) async throws(APIError) -> EngineAnswer {
        let answer = try await client.extract(.data(request.bytes), probe: request.probe, options: request.options) { _ in request.onRetry() }
        return EngineAnswer(
            requestID: answer.requestID, logID: answer.logID, rawBody: answer.rawBody,
            elements: answer.elements.map { element in
                EngineElement(result: .url(element.imageURL), width: element.width, height: element.height, x: element.x, y: element.y)
            }
        )
    }

    public func credits() async throws(APIError) -> [CreditBalance] {
        try await client.queryCredits()
    }

    public func download(_ url: URL, to destination: URL, limit: Int64) async throws(APIError) {
        _ = try await client.downloadResult(url, to: destination, limit: limit)
    }
}
