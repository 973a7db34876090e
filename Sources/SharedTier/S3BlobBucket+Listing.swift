import AssetStore
import AssetTransport
import Foundation

/// One page of a listing of a bucket's blobs, in key order (which is hash order).
public struct S3BlobPage: Sendable, Hashable {
    /// Where a listing goes on: after a key, exclusive.
    public struct Cursor: Sendable, Hashable {
        enum Position: Sendable, Hashable {
            case hash(ContentHash)
            case key(String)
        }

        let position: Position

        /// Continues after the blob named `hash`, as a gc that stopped there would.
        public init(after hash: ContentHash) { position = .hash(hash) }

        init(afterKey key: String) { position = .key(key) }
    }

    /// The blobs on this page.
    public var hashes: [ContentHash]
    /// Keys under the prefix that are not blob names (`PREFIX/ab/<sha256>`); they are skipped.
    public var ignoredKeys: Int
    /// The cursor for the next page, or `nil` when this was the last.
    public var next: Cursor?
    /// When each blob on the page was written, as S3 says (for gc's grace period).
    public var lastModified: [ContentHash: Date] = [:]
}

extension S3BlobBucket {
    /// One page of the blobs in the bucket, after `cursor` (from the start when `nil`).
    ///
    /// ```swift
    /// var cursor: S3BlobPage.Cursor?
    /// repeat {
    ///     let page = try await bucket.list(after: cursor)
    ///     for hash in page.hashes { … }
    ///     cursor = page.next
    /// } while cursor != nil
    /// ```
    ///
    /// Uses list-objects-v2 with `start-after`, so a cursor is a key, not a server token, and a
    /// listing can be resumed after any blob.
    ///
    /// - Parameter limit: the most keys on the page, 1 to 1000.
    public func list(after cursor: S3BlobPage.Cursor? = nil, limit: Int = 1000) async throws -> S3BlobPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("max-keys", String(min(1000, max(1, limit))))]
        if !location.prefix.isEmpty { query.append(("prefix", location.keyPrefix)) }
        switch cursor?.position {
        case .hash(let hash)?: query.append(("start-after", location.key(for: hash)))
        case .key(let key)?: query.append(("start-after", key))
        case nil: break
        }
        let response = try await send("GET", location.bucketURL(query: AWSSignature.canonicalQuery(query)), doing: "list the blobs") { status, _ in
            status == 200
        }
        guard let xml = S3XML(response.body, leaves: ["Key", "LastModified", "IsTruncated"]) else {
            throw SharedTierError(.transient, code: SharedTierError.unavailableCode, "Could not list the blobs in bucket \(location.bucket): S3's answer is not XML; try again.", status: response.status)
        }
        let keys = xml.all("Key")
        let hashes = keys.compactMap(location.hash(ofKey:))
        let truncated = xml.first("IsTruncated") == "true"
        var page = S3BlobPage(
            hashes: hashes, ignoredKeys: keys.count - hashes.count,
            next: truncated ? keys.last.map(S3BlobPage.Cursor.init(afterKey:)) : nil
        )
        // Each <Contents> holds one Key and one LastModified, in that order.
        let modified = xml.all("LastModified")
        if modified.count == keys.count {
            for (key, text) in zip(keys, modified) {
                guard let hash = location.hash(ofKey: key), let date = Self.s3Date(text) else { continue }
                page.lastModified[hash] = date
            }
        }
        return page
    }
}

extension S3BlobBucket {
    /// An S3 timestamp (`2026-12-03T09:04:18.000Z`), with or without fractional seconds.
    static func s3Date(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
