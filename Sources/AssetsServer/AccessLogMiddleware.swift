import Foundation
import Hummingbird
import Logging

/// Logs one structured line per request and records its latency, without any header.
///
/// The line holds the method, the path without its query, the status, the duration, the
/// route pattern and, where the context knows it, the peer's address. Headers are never logged, so neither client keys nor the upstream key can
/// reach a log.
public struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: ServerMetrics?

    /// - Parameters:
    ///   - logger: where the lines go; at `.info`.
    ///   - metrics: where latencies go, if anywhere.
    public init(logger: Logger, metrics: ServerMetrics? = nil) {
        self.logger = logger
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let status: Int
        do {
            let response = try await next(request, context)
            status = response.status.code
            record(request, context: context, status: status, duration: start.duration(to: clock.now))
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context: context, status: status, duration: start.duration(to: clock.now))
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: Int, duration: Duration) {
        let route = context.endpointPath ?? "unmatched"
        metrics?.recordRequest(route: route, method: request.method.rawValue, status: status, duration: duration)
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "route": .string(route),
            "status": .stringConvertible(status),
            "duration_ms": .string(Self.milliseconds(duration)),
        ]
        if let peer = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress {
            metadata["peer"] = .string(peer)
        }
        logger.info("request", metadata: metadata)
    }

    /// `duration` in milliseconds with two decimals, `12.34` (`String(format:)` costs more than
    /// the rest of the line).
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let hundredths = seconds * 100_000 + attoseconds / 10_000_000_000_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
