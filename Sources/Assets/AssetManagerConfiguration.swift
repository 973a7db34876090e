import AssetTransport
import Foundation

/// How an ``AssetManager`` retries, times out and caps its transfers.
public struct AssetManagerConfiguration: Sendable {
    /// Retries for transient API and download failures (4 attempts, about 1, 2, 4 s).
    public var retryPolicy = RetryPolicy()
    /// Timeouts and the download cap (32 MiB).
    public var transport = TransportConfiguration()
    /// How long a stored answer's result URLs are trusted for resuming its downloads. The API
    /// deletes them after 24 hours; an hour of margin covers clocks and slow downloads.
    public var resultURLLifetime: TimeInterval = 23 * 3600

    public init() {}
}
