import AssetTransport
import Foundation
import HeadExtraction

/// The simulated API as an engine in this process: no key, no network, no HTTP, no credits.
///
/// ```swift
/// let mock = MockService()
/// mock.faults.withLock { $0.headCount = 2 }
/// let manager = AssetManager(store: store, engine: MockEngine(service: mock))
/// ```
///
/// It answers with `MockService`'s heads and PNGs, handed over as bytes rather
/// than result URLs, and with its scripted failures, retried like the API's. Its namespace is
/// `mock`, as before engines existed, so stores made with the mock keep hitting. `assets
/// mock-server` serves the same service over the API's wire format instead.
public struct MockEngine: ExtractionEngine {
    public let service: MockService
    public let retryPolicy: RetryPolicy
    public let limits: EngineLimits

    public init(service: MockService = MockService(), retryPolicy: RetryPolicy = RetryPolicy(), limits: EngineLimits = .api) {
        self.service = service
        self.retryPolicy = retryPolicy
        self.limits = limits
    }

    public var identity: EngineIdentity {
        EngineIdentity(name: "mock", engineID: "mock", namespace: Self.namespace)
    }

    /// The namespace of the mock's answers.
    public static let namespace = "mock"

    public func extract(_ request: EngineRequest) async throws(APIError) -> EngineAnswer {
        let heads = try await retrying(onRetry: request.onRetry) { () async throws(APIError) in
            try await service.extractHeads(request.bytes, probe: request.probe, returnForm: request.options.returnForm)
        }
        return EngineAnswer(elements: heads.map { head in
            EngineElement(result: .png(head.png), width: head.width, height: head.height, x: head.x, y: head.y)
        })
    }

    public func credits() async throws(APIError) -> [CreditBalance] {
        try await retrying(onRetry: {}) { () async throws(APIError) in try await service.creditBalances() }
    }

    /// Runs `operation` under ``retryPolicy``, retrying transient failures as the API client does.
    private func retrying<T: Sendable>(onRetry: @Sendable () -> Void, _ operation: () async throws(APIError) -> T) async throws(APIError) -> T {
        do {
            return try await retryPolicy.run(
                classify: { error in
                    guard let error = error as? APIError, error.errorClass == .transient else { return .fail }
                    return .retry(retryAfter: error.retryAfter)
                },
                onRetry: { _, _ in onRetry() },
                { _ in try await operation() }
            )
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.cancelled("the photo")
        }
    }
}
