import AssetTransport
import Foundation

extension S3BlobBucket {
    /// Timeouts, limits and retries for every call to the bucket.
    public struct Options: Sendable, Hashable {
        /// The most time to open a connection.
        public var connectTimeout: Duration = .seconds(5)
        /// The most time for one request, connection included.
        public var requestTimeout: Duration = .seconds(30)
        /// The largest object read; a bigger one is refused unread (no blob is that large).
        public var maxObjectBytes: Int64 = 64 * 1024 * 1024
        /// How transient failures are tried again: 3 attempts, about 0.2 and 0.4 s apart.
        public var retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(200))
        /// Allow plain `http` to an endpoint other than loopback.
        public var allowInsecureHTTP = false
        /// The most requests in flight at once.
        public var maxConcurrentTransfers = 16

        public init() {}

        var transportConfiguration: TransportConfiguration {
            var configuration = TransportConfiguration()
            configuration.connectTimeout = connectTimeout
            configuration.requestTimeout = requestTimeout
            configuration.downloadTimeout = requestTimeout
            configuration.maxDownloadBytes = maxObjectBytes
            configuration.allowInsecureHTTP = allowInsecureHTTP
            return configuration
        }
    }

    /// What ``S3BlobBucket/put(sha256:data:)`` found.
    public enum PutOutcome: Sendable, Hashable {
        /// The object was written.
        case stored
        /// An object of that name was already there (`412` to `If-None-Match: *`).
        case alreadyPresent
    }
}
