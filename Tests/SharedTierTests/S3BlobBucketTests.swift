import AssetStore
import AssetTransport
import Foundation
import SharedTier
import TestSupport
import Testing

/// One moto server for the suite, with signature checking on; each test has a prefix of its own.
enum SharedMoto {
    static let bucket = "assets-shared"
    static let server = Task { try await MotoServer.start(buckets: [bucket]) }

    static func bucket(prefix: String = "t-\(UUID().uuidString.prefix(8).lowercased())", secret: String? = nil, keyID: String? = nil, options: S3BlobBucket.Options = fast) async throws -> (S3BlobBucket, MotoServer) {
        let moto = try await server.value
        let location = try S3Location(parsing: "s3://\(bucket)/\(prefix)?endpoint=\(moto.endpoint.absoluteString)&region=us-east-1")
        let credentials = S3Credentials(accessKeyID: keyID ?? moto.accessKeyID, secretAccessKey: secret ?? moto.secretAccessKey)
        return (S3BlobBucket(location: location, credentials: credentials, options: options), moto)
    }

    static var fast: S3BlobBucket.Options {
        var options = S3BlobBucket.Options()
        options.connectTimeout = .seconds(2)
        options.requestTimeout = .seconds(10)
        options.retry = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(50))
        return options
    }
}

@Suite(.serialized, .enabled(if: MotoServer.isAvailable, "moto_server is not on PATH, so the S3 tests are skipped; .ci/run installs moto[server] and runs them"))
struct S3BlobBucketTests {
    static func blob(_ text: String) -> (ContentHash, Data) {
        let data = Data(("blob " + text).utf8) + Data((0..<256).map { UInt8($0) })
        return (ContentHash.of(data), data)
    }

    @Test func putThenGetReturnsTheSameBytes() async throws {
        let (bucket, moto) = try await SharedMoto.bucket()
        let (hash, data) = Self.blob("round trip")
        #expect(try await bucket.put(sha256: hash, data: data) == .stored)
        #expect(try await bucket.get(sha256: hash) == data)
        #expect(try await bucket.exists(sha256: hash))
        let hex = hash.hex
        #expect(try await moto.keys(bucket: SharedMoto.bucket, prefix: bucket.location.keyPrefix) == ["\(bucket.location.prefix)/\(hex.prefix(2))/\(hex)"])
    }

    @Test func aSecondPutOfTheSameBlobSucceedsAndKeepsOneObject() async throws {
        let (bucket, moto) = try await SharedMoto.bucket()
        let (hash, data) = Self.blob("twice")
        #expect(try await bucket.put(sha256: hash, data: data) == .stored)
        #expect(try await bucket.put(sha256: hash, data: data) == .alreadyPresent)
        #expect(try await moto.keys(bucket: SharedMoto.bucket, prefix: bucket.location.keyPrefix).count == 1)
        #expect(try await bucket.get(sha256: hash) == data)
    }

    @Test func anAbsentBlobIsNil() async throws {
        let (bucket, _) = try await SharedMoto.bucket()
        let (hash, _) = Self.blob("never stored")
        #expect(try await bucket.get(sha256: hash) == nil)
        #expect(try await bucket.exists(sha256: hash) == false)
    }

    @Test func aCorruptedObjectIsRefusedNeverReturned() async throws {
        let (bucket, moto) = try await SharedMoto.bucket()
        let (hash, data) = Self.blob("to be corrupted")
        try await bucket.put(sha256: hash, data: data)
        let other = Data("not the blob".utf8)
        try await moto.putObject(bucket: SharedMoto.bucket, key: bucket.location.key(for: hash), data: other)

        var returned: Data?
        let error = await #expect(throws: SharedTierError.self) { returned = try await bucket.get(sha256: hash) }
        #expect(returned == nil)
        #expect(error?.kind == .corrupt)
        #expect(error?.code == "SHARED_BLOB_CORRUPT")
        #expect(error?.message.contains(bucket.location.key(for: hash)) == true)
        #expect(error?.message.contains(ContentHash.of(other).hex) == true)

        // Deleting the bad object lets the next upload put the right bytes back.
        try await bucket.delete(sha256: hash)
        #expect(try await bucket.put(sha256: hash, data: data) == .stored)
        #expect(try await bucket.get(sha256: hash) == data)
    }

    @Test func anEmptiedObjectIsRefusedToo() async throws {
        let (bucket, moto) = try await SharedMoto.bucket()
        let (hash, data) = Self.blob("to be emptied")
        try await bucket.put(sha256: hash, data: data)
        try await moto.putObject(bucket: SharedMoto.bucket, key: bucket.location.key(for: hash), data: Data())
        let error = await #expect(throws: SharedTierError.self) { try await bucket.get(sha256: hash) }
        #expect(error?.kind == .corrupt)
    }

    @Test func bytesThatDoNotMatchTheirNameAreNeverUploaded() async throws {
        let (bucket, moto) = try await SharedMoto.bucket()
        let (hash, _) = Self.blob("the name")
        let error = await #expect(throws: SharedTierError.self) { try await bucket.put(sha256: hash, data: Data("other bytes".utf8)) }
        #expect(error?.kind == .invalidArgument)
        #expect(try await moto.keys(bucket: SharedMoto.bucket, prefix: bucket.location.keyPrefix).isEmpty)
    }

    @Test func aWrongSecretFailsWithASignatureErrorThatNeverShowsTheSecret() async throws {
        let wrongSecret = "wrongSecretKey/0123456789abcdefghijKLMNOP"
        let (bucket, moto) = try await SharedMoto.bucket(secret: wrongSecret)
        let (hash, data) = Self.blob("wrong secret")
        for operation in ["put", "get", "list"] {
            let error = await #expect(throws: SharedTierError.self) {
                switch operation {
                case "put": try await bucket.put(sha256: hash, data: data)
                case "get": _ = try await bucket.get(sha256: hash)
                default: _ = try await bucket.list()
                }
            }
            let error2 = try #require(error)
            #expect(error2.kind == .configuration, "\(operation)")
            #expect(error2.s3Code == "SignatureDoesNotMatch", "\(operation)")
            #expect(error2.message.contains("AWS_SECRET_ACCESS_KEY"))
            for text in [error2.message, error2.description, String(reflecting: error2), "\(error2)", String(describing: bucket)] {
                #expect(!text.contains(wrongSecret))
                #expect(!text.contains(moto.secretAccessKey))
            }
        }
        #expect(try await moto.keys(bucket: SharedMoto.bucket, prefix: bucket.location.keyPrefix).isEmpty)
    }

    @Test func aHeadWithAWrongSecretIsAConfigurationError() async throws {
        let (bucket, _) = try await SharedMoto.bucket(secret: "wrongSecretKey/0123456789abcdefghijKLMNOP")
        let error = await #expect(throws: SharedTierError.self) { _ = try await bucket.exists(sha256: Self.blob("head").0) }
        #expect(error?.kind == .configuration)
        #expect(error?.status == 403)
    }

    @Test func anUnknownAccessKeyIsAConfigurationError() async throws {
        let (bucket, _) = try await SharedMoto.bucket(keyID: "AKIAUNKNOWNKEY000000")
        let error = await #expect(throws: SharedTierError.self) { _ = try await bucket.get(sha256: Self.blob("unknown key").0) }
        #expect(error?.kind == .configuration)
        #expect(error?.s3Code == "InvalidAccessKeyId")
        #expect(error?.message.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test func aMissingBucketIsAConfigurationErrorNotAMiss() async throws {
        let moto = try await SharedMoto.server.value
        let location = try S3Location(parsing: "s3://no-such-bucket/p?endpoint=\(moto.endpoint.absoluteString)")
        let bucket = S3BlobBucket(location: location, credentials: S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey), options: SharedMoto.fast)
        let error = await #expect(throws: SharedTierError.self) { _ = try await bucket.get(sha256: Self.blob("x").0) }
        #expect(error?.kind == .configuration)
        #expect(error?.s3Code == "NoSuchBucket")
        #expect(error?.message.contains("no-such-bucket") == true)
    }

    @Test func deleteRemovesTheObjectAndIsIdempotent() async throws {
        let (bucket, moto) = try await SharedMoto.bucket()
        let (hash, data) = Self.blob("deleted")
        let (keptHash, kept) = Self.blob("kept")
        try await bucket.put(sha256: hash, data: data)
        try await bucket.put(sha256: keptHash, data: kept)
        try await bucket.delete(sha256: hash)
        #expect(try await bucket.exists(sha256: hash) == false)
        #expect(try await bucket.get(sha256: hash) == nil)
        try await bucket.delete(sha256: hash)
        #expect(try await bucket.get(sha256: keptHash) == kept)
        #expect(try await moto.keys(bucket: SharedMoto.bucket, prefix: bucket.location.keyPrefix) == [bucket.location.key(for: keptHash)])
    }

    @Test func listingPagesThroughEveryBlobInHashOrder() async throws {
        let (bucket, moto) = try await SharedMoto.bucket()
        var hashes: [ContentHash] = []
        for index in 0..<7 {
            let (hash, data) = Self.blob("listed \(index)")
            try await bucket.put(sha256: hash, data: data)
            hashes.append(hash)
        }
        // Not a blob name: skipped and counted, never returned.
        try await moto.putObject(bucket: SharedMoto.bucket, key: bucket.location.keyPrefix + "README", data: Data("x".utf8))
        // Another prefix's blob is not listed.
        let (neighbour, _) = try await SharedMoto.bucket(prefix: bucket.location.prefix + "-neighbour")
        let (otherHash, other) = Self.blob("neighbour")
        try await neighbour.put(sha256: otherHash, data: other)

        var listed: [ContentHash] = []
        var pages: [Int] = []
        var ignored = 0
        var cursor: S3BlobPage.Cursor?
        repeat {
            let page = try await bucket.list(after: cursor, limit: 3)
            listed += page.hashes
            pages.append(page.hashes.count)
            ignored += page.ignoredKeys
            cursor = page.next
        } while cursor != nil && pages.count < 10
        #expect(listed == hashes.sorted())
        #expect(pages.count == 3)
        #expect(ignored == 1)

        let sorted = hashes.sorted()
        let rest = try await bucket.list(after: S3BlobPage.Cursor(after: sorted[4]))
        #expect(rest.hashes == Array(sorted[5...]))
    }

    @Test func aPrefixWithNestedFoldersAndTheBucketRootBothWork() async throws {
        let moto = try await SharedMoto.server.value
        let credentials = S3Credentials(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey)
        let (hash, data) = Self.blob("nested")
        for prefix in ["team/v1.2/blobs_\(UUID().uuidString.prefix(4).lowercased())", ""] {
            let location = try S3Location(parsing: "s3://\(SharedMoto.bucket)/\(prefix)?endpoint=\(moto.endpoint.absoluteString)")
            let bucket = S3BlobBucket(location: location, credentials: credentials, options: SharedMoto.fast)
            try await bucket.put(sha256: hash, data: data)
            #expect(try await bucket.get(sha256: hash) == data)
            #expect(try await bucket.list().hashes.contains(hash))
            try await bucket.delete(sha256: hash)
        }
    }

    @Test func temporaryCredentialsWithASessionTokenWork() async throws {
        let moto = try await SharedMoto.server.value
        let session = try await moto.sessionCredentials()
        let credentials = S3Credentials(accessKeyID: session["access_key_id"]!, secretAccessKey: session["secret_access_key"]!, sessionToken: session["session_token"]!)
        let location = try S3Location(parsing: "s3://\(SharedMoto.bucket)/session?endpoint=\(moto.endpoint.absoluteString)")
        let bucket = S3BlobBucket(location: location, credentials: credentials, options: SharedMoto.fast)
        let (hash, data) = Self.blob("session")
        try await bucket.put(sha256: hash, data: data)
        #expect(try await bucket.get(sha256: hash) == data)
        #expect(!String(describing: credentials).contains(session["session_token"]!))
    }
}

extension S3BlobBucketTests {
    @Test func aBlobOverOneMebibyteRoundTrips() async throws {
        // libcurl asks for "100 Continue" above 1 MiB; the signed upload must still go through.
        let (bucket, _) = try await SharedMoto.bucket()
        let data = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let hash = ContentHash.of(data)
        #expect(try await bucket.put(sha256: hash, data: data) == .stored)
        #expect(try await bucket.get(sha256: hash) == data)
    }

    @Test func anObjectOverTheLimitIsRefusedUnread() async throws {
        var options = SharedMoto.fast
        options.maxObjectBytes = 1000
        let (bucket, _) = try await SharedMoto.bucket(options: options)
        let (hash, data) = Self.blob(String(repeating: "large ", count: 300))
        try await bucket.put(sha256: hash, data: data)
        let error = await #expect(throws: SharedTierError.self) { _ = try await bucket.get(sha256: hash) }
        #expect(error?.kind == .corrupt)
    }
}
