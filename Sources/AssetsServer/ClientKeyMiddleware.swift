import HeadExtraction
import HTTPTypes
import Hummingbird

/// Lets a request through only with a known client key in `ailabapi-api-key`.
///
/// A missing or unknown key gets 401 with `ERROR_APPLICATIONS_NOT_EXISTS` in the API's
/// envelope, before the body is read and without any upstream call. The key is never logged.
public struct ClientKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: ClientKeys
    let metrics: ServerMetrics?

    /// - Parameters:
    ///   - keys: the keys to accept.
    ///   - metrics: where refusals are counted under their code, if anywhere.
    public init(keys: ClientKeys, metrics: ServerMetrics? = nil) {
        self.keys = keys
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard keys.accepts(request.headers[ServerHeaders.apiKey]) else {
            metrics?.recordError(code: "ERROR_APPLICATIONS_NOT_EXISTS")
            return EnvelopeResponse.failure("ERROR_APPLICATIONS_NOT_EXISTS")
        }
        return try await next(request, context)
    }
}

/// Header names the routes use.
enum ServerHeaders {
    static let apiKey = HTTPField.Name(HeadExtractionAPI.apiKeyHeader)!
}
