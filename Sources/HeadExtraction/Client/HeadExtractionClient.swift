import AssetTransport
import Foundation

/// Calls the Head Extraction API through a ``Transport``, retrying what is worth retrying.
///
/// ```swift
/// let client = HeadExtractionClient(transport: transport, baseURL: HeadExtractionAPI.defaultBaseURL, apiKey: key)
/// let probed = try ImageProbe.probe(fileAt: photo)
/// let answer = try await client.extract(.file(photo), probe: probed, options: APIOptions())
/// for (index, element) in answer.elements.enumerated() {
///     _ = try await client.downloadResult(element.imageURL, to: folder.appendingPathComponent("\(index).png"))
/// }
/// ```
///
/// Every failure is an ``APIError``. Transient ones (rate limits, 5xx, timeouts, malformed bodies)
/// are retried by ``retryPolicy``; credits, auth, input and content failures never are.
/// - Important: `Sendable`; one client may serve many tasks at once.
public struct HeadExtractionClient: Sendable {
    /// Moves the bytes: curl, the mock, or a cassette.
    public let transport: any Transport
    /// The API host, such as ``HeadExtractionAPI/defaultBaseURL``.
    public let baseURL: URL
    /// Attempts and backoff for transient failures.
    public let retryPolicy: RetryPolicy
    /// Timeouts and the download size limit.
    public let configuration: TransportConfiguration
    /// Whether a call without a key is refused before it is sent.
    public let requiresKey: Bool
    let apiKey: String?

    /// - Parameters:
    ///   - apiKey: sent to the API only; never to result URLs, never in an error message.
    ///     Surrounding whitespace (such as the newline of a key file) is dropped.
    ///   - retryPolicy: attempts and backoff for transient failures; tests shrink its base delay.
    ///   - configuration: the request and download timeouts and the download size limit.
    ///   - requiresKey: `false` for the mock backend, which needs no key; calls then go out
    ///     without the key header when there is no key.
    public init(
        transport: any Transport, baseURL: URL, apiKey: String?,
        retryPolicy: RetryPolicy = .init(), configuration: TransportConfiguration = .init(),
        requiresKey: Bool = true
    ) {
        self.transport = transport
        self.baseURL = baseURL
        self.apiKey = apiKey?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.requiresKey = requiresKey
        self.retryPolicy = retryPolicy
        self.configuration = configuration
    }

    /// Extracts the heads of one image that ``ImageProbe`` accepted.
    ///
    /// - Parameters:
    ///   - image: the file (streamed) or bytes to upload.
    ///   - probe: the probe of those bytes; its format sets the upload's content type.
    ///   - onRetry: called with each failure that is about to be retried.
    /// - Throws: ``APIError``; `MISSING_API_KEY` (class `auth`) before any call when there is no
    ///   key and ``requiresKey`` is set.
    public func extract(
        _ image: ImageUpload, probe: ProbedImage, options: APIOptions = APIOptions(),
        onRetry: @Sendable (APIError) -> Void = { _ in }
    ) async throws(APIError) -> ExtractionAnswer {
        let key = try requireKey()
        let request = HeadExtractionAPI.extractionRequest(
            baseURL: baseURL, image: image, format: probe.format, options: options,
            apiKey: key, timeout: configuration.requestTimeout
        )
        return try await withRetries(onRetry: onRetry) { attempt throws(APIError) in
            let (response, envelope) = try await call(request)
            return ExtractionAnswer(
                requestID: envelope.requestID, logID: envelope.logID,
                elements: try envelope.resultElements(redacting: apiKey), rawBody: response.body, attempts: attempt
            )
        }
    }

    /// The account's credit balances.
    ///
    /// - Throws: ``APIError``; `MALFORMED_RESPONSE` when the answer has no `data` array.
    public func queryCredits(onRetry: @Sendable (APIError) -> Void = { _ in }) async throws(APIError) -> [CreditBalance] {
        let key = try requireKey()
        let request = HeadExtractionAPI.creditsRequest(baseURL: baseURL, apiKey: key, timeout: configuration.requestTimeout)
        return try await withRetries(onRetry: onRetry) { _ throws(APIError) in
            let (response, envelope) = try await call(request)
            guard let payload = try? JSONDecoder().decode(CreditsPayload.self, from: response.body), let balances = payload.data else {
                let requestID = envelope.requestID.map { Redaction.redact($0, secrets: [apiKey]) }
                throw Envelope.malformed("reporting success but without a data array of balances", httpStatus: response.status, requestID: requestID)
            }
            return balances
        }
    }

    /// Sends one API request and returns its successful envelope, or throws its failure.
    func call(_ request: HTTPRequest) async throws(APIError) -> (HTTPResponse, Envelope) {
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw APIError.fromTransport(error, redacting: apiKey)
        }
        // Retry-After is only documented as a possibility; the statuses that mean "later" carry it.
        let retryAfter = [429, 503].contains(response.status)
            ? RetryPolicy.parseRetryAfter(response.headers[name: "Retry-After"]) : nil
        let envelope: Envelope
        do {
            envelope = try Envelope.decode(response.body, httpStatus: response.status)
        } catch {
            var malformed = error
            malformed.retryAfter = retryAfter
            throw malformed
        }
        guard envelope.isSuccess(httpStatus: response.status) else {
            throw envelope.failure(httpStatus: response.status, retryAfter: retryAfter, redacting: apiKey)
        }
        return (response, envelope)
    }

    func requireKey() throws(APIError) -> String? {
        guard let apiKey, !apiKey.isEmpty else {
            if requiresKey { throw APIError.missingKey }
            return nil
        }
        return apiKey
    }

    /// Runs `operation` under ``retryPolicy``, retrying the failures `shouldRetry` accepts.
    func withRetries<T: Sendable>(
        shouldRetry: (APIError) -> Bool = { $0.errorClass == .transient },
        onRetry: (APIError) -> Void,
        _ operation: (_ attempt: Int) async throws(APIError) -> T
    ) async throws(APIError) -> T {
        do {
            return try await retryPolicy.run(
                classify: { error in
                    guard let error = error as? APIError, shouldRetry(error) else { return .fail }
                    return .retry(retryAfter: error.retryAfter)
                },
                onRetry: { _, error in
                    if let error = error as? APIError { onRetry(error) }
                },
                { attempt in try await operation(attempt) }
            )
        } catch {
            throw APIError.fromTransport(error, redacting: apiKey)
        }
    }
}
