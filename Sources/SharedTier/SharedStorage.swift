import AssetStore
import Foundation
import Logging

/// The shared tier (L2) of a fleet: the catalog in PostgreSQL and the blobs in an S3 bucket,
/// behind each host's local store (L1).
///
/// ```swift
/// // ASSETS_SHARED_CATALOG=postgres://…  ASSETS_SHARED_BLOBS=s3://bucket/prefix?endpoint=…
/// if let shared = try SharedStorage.fromEnvironment() {
///     let manager = AssetManager(store: store, backend: backend, configuration: .init(shared: shared))
/// }
/// ```
///
/// Each call goes through a ``CircuitBreaker``: after a few passing failures in a row the tier
/// is not asked for a few seconds, then tried again, so that a host recovers on its own when
/// the tier comes back. What a miss does while the tier is down is ``policy``.
public final class SharedStorage: Sendable {
    /// What a miss does while the tier cannot be reached. Hits in L1 are always answered.
    public enum OutagePolicy: String, Sendable, Hashable, CaseIterable {
        /// Single-flight within this host only: the call is made and answered from L1, and
        /// published to the tier when it is back. Another host may pay for the same photo
        /// meanwhile.
        case fallBack = "fall-back"
        /// Refuse with `503` and `SHARED_TIER_UNAVAILABLE`: no photo is paid twice in the
        /// fleet, at the price of answering no new photo during an outage.
        case refuse
    }

    public struct Options: Sendable {
        public var policy: OutagePolicy = .fallBack
        /// How long a lease lasts without a heartbeat: the most a crashed owner blocks others.
        /// The holder heartbeats every third of it.
        public var leaseTTL: Duration = .seconds(60)
        /// The longest a waiter sleeps between looks, when no notification comes.
        public var pollInterval: Duration = .seconds(1)
        /// The longest a miss waits for another host's call before giving up.
        public var maxWait: Duration = .seconds(600)
        /// Objects younger than this are never removed by gc: an owner uploads its blobs before
        /// it writes its row.
        public var gcGrace: Duration = .seconds(3600)
        public var breaker = CircuitBreaker()

        public init() {}
    }

    public let catalog: PostgresCatalog
    public let bucket: S3BlobBucket
    public let options: Options
    /// Secrets of the configuration (the database password, the S3 secret key and token), so
    /// that nothing derived from them is written.
    public let secrets: [String]

    public init(catalog: PostgresCatalog, bucket: S3BlobBucket, secrets: [String] = [], options: Options = Options()) {
        self.catalog = catalog
        self.bucket = bucket
        self.secrets = (catalog.location.secrets + secrets).filter { !$0.isEmpty }
        self.options = options
    }

    /// The environment variable holding the PostgreSQL URL.
    public static let catalogVariable = "ASSETS_SHARED_CATALOG"
    /// The environment variable holding the `s3://` URL.
    public static let blobsVariable = "ASSETS_SHARED_BLOBS"

    /// The shared tier the environment configures, or `nil` when it configures none.
    ///
    /// - Parameters:
    ///   - catalogFile: a file holding the PostgreSQL URL (its first non-empty line), used
    ///     instead of `ASSETS_SHARED_CATALOG`.
    /// - Throws: ``SharedTierError`` of kind ``SharedTierError/Kind/configuration`` when only
    ///   one half is set, or a URL or the credentials are wrong. No message holds a secret.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, catalogFile: URL? = nil,
        options: Options = Options(), logger: Logger = Logger(label: "assets.shared", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws -> SharedStorage? {
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
            return value
        }
        var catalogURL = value(catalogVariable)
        if let catalogFile {
            guard let text = try? String(contentsOf: catalogFile, encoding: .utf8) else {
                throw SharedTierError.configuration("Cannot read the shared catalog file \(catalogFile.path); check that it exists and can be read.")
            }
            catalogURL = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty && !$0.hasPrefix("#") }
            guard catalogURL != nil else {
                throw SharedTierError.configuration("The shared catalog file \(catalogFile.path) is empty; write the postgres:// URL in it.")
            }
        }
        let blobsURL = value(blobsVariable)
        switch (catalogURL, blobsURL) {
        case (nil, nil):
            return nil
        case (_?, nil):
            throw SharedTierError.configuration("The shared catalog is set but \(blobsVariable) is not; set it to the s3:// URL of the shared blobs too, or unset the catalog.")
        case (nil, _?):
            throw SharedTierError.configuration("\(blobsVariable) is set but the shared catalog is not; set \(catalogVariable) (or pass the shared catalog file) too, or unset \(blobsVariable).")
        case (let catalogURL?, let blobsURL?):
            let location = try PostgresLocation(parsing: catalogURL)
            // As the AWS CLI and SDKs do: AWS_REGION, else AWS_DEFAULT_REGION, when the URL names none.
            let region = [environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]].lazy.compactMap { $0 }.first { !$0.isEmpty }
            let s3 = try S3Location(parsing: blobsURL, defaultRegion: region ?? S3Location.defaultRegion)
            let credentials = try S3Credentials.fromEnvironment(environment)
            var bucketOptions = S3BlobBucket.Options()
            bucketOptions.allowInsecureHTTP = environment["ASSETS_ALLOW_HTTP"] == "1"
            var options = options
            if let ttl = value("ASSETS_SHARED_LEASE_TTL") {
                guard let seconds = Double(ttl), seconds >= 1, seconds <= 3600 else {
                    throw SharedTierError.configuration("ASSETS_SHARED_LEASE_TTL must be a number of seconds from 1 to 3600.")
                }
                options.leaseTTL = .milliseconds(Int64(seconds * 1000))
            }
            if let policy = value("ASSETS_SHARED_OUTAGE") {
                guard let parsed = OutagePolicy(rawValue: policy) else {
                    throw SharedTierError.configuration("ASSETS_SHARED_OUTAGE must be fall-back or refuse.")
                }
                options.policy = parsed
            }
            return SharedStorage(
                catalog: PostgresCatalog(location: location, logger: logger),
                bucket: S3BlobBucket(location: s3, credentials: credentials, options: bucketOptions),
                secrets: credentials.secrets, options: options
            )
        }
    }

    /// Describes the tier without a secret.
    public var description: String { "\(catalog.location) + \(bucket.location)" }

    /// Runs `body` through the breaker: refused at once while it is open, counted otherwise.
    public func guarded<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard options.breaker.allows() else {
            throw SharedTierError(.transient, code: SharedTierError.unavailableCode, "The shared tier (\(description)) is failing, so it is not asked for a few seconds; try again shortly.")
        }
        do {
            let value = try await body()
            options.breaker.succeeded()
            return value
        } catch let error as SharedTierError where error.kind == .transient {
            options.breaker.failed()
            throw error
        } catch let error as SharedTierError {
            // A configuration error is not an outage, but the tier answered.
            options.breaker.succeeded()
            throw error
        }
    }

    /// The PNGs of `entry`'s heads from the bucket, each re-hashed, or `nil` when one is gone.
    ///
    /// An object that does not match its name is deleted (so that the next upload of the blob
    /// writes it anew: `If-None-Match` would keep the bad one) and reported as corrupt.
    public func heads(of entry: SharedEntry, except present: (ContentHash) -> Bool) async throws -> [ContentHash: Data]? {
        var found: [ContentHash: Data] = [:]
        for element in entry.elements where !present(element.blobKey) && found[element.blobKey] == nil {
            do {
                guard let data = try await bucket.get(sha256: element.blobKey) else { return nil }
                found[element.blobKey] = data
            } catch let error as SharedTierError where error.kind == .corrupt {
                try? await bucket.delete(sha256: element.blobKey)
                throw error
            }
        }
        return found
    }

    /// Connects to the catalog (applying its migrations) and lists the bucket's first key:
    /// a wrong password, database, key or bucket shows here, as a configuration error.
    public func check() async throws {
        try await catalog.ready()
        _ = try await bucket.list(limit: 1)
    }

    /// Stops the catalog's client.
    public func shutdown() async {
        await catalog.shutdown()
    }
}
