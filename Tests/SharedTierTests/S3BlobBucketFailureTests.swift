import AssetStore
import AssetTransport
import Foundation
@testable import SharedTier
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Failures that need no S3 server: nothing listening, a server that never answers, and how
/// S3's error answers are classified.
@Suite struct S3BlobBucketFailureTests {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    func bucket(port: Int, timeout: Duration = .seconds(5)) throws -> S3BlobBucket {
        var options = S3BlobBucket.Options()
        options.connectTimeout = .seconds(1)
        options.requestTimeout = timeout
        options.retry = .none
        let location = try S3Location(parsing: "s3://assets/p?endpoint=http://127.0.0.1:\(port)")
        return S3BlobBucket(location: location, credentials: S3Credentials(accessKeyID: "AKIA1", secretAccessKey: secret), options: options)
    }

    @Test func aRefusedConnectionIsTransient() async throws {
        let bucket = try bucket(port: try ServiceProcess.freePort())
        let error = await #expect(throws: SharedTierError.self) { _ = try await bucket.get(sha256: ContentHash.of("x")) }
        #expect(error?.kind == .transient)
        #expect(error?.code == "SHARED_TIER_UNAVAILABLE")
        #expect(error?.message.contains(secret) == false)
    }

    @Test func aServerThatNeverAnswersTimesOutWithinTheBound() async throws {
        // A socket that listens but never accepts: the connection opens, no answer ever comes.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        #expect(listen(descriptor, 8) == 0)
        let bucket = try bucket(port: Int(UInt16(bigEndian: address.sin_port)), timeout: .seconds(1))
        let started = ContinuousClock.now
        let error = await #expect(throws: SharedTierError.self) { _ = try await bucket.exists(sha256: ContentHash.of("x")) }
        #expect(error?.kind == .transient)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func plainHTTPToARemoteEndpointIsRefusedAsConfiguration() async throws {
        let location = try S3Location(parsing: "s3://assets/p?endpoint=http://s3.example.com")
        let bucket = S3BlobBucket(location: location, credentials: S3Credentials(accessKeyID: "AKIA1", secretAccessKey: secret))
        let error = await #expect(throws: SharedTierError.self) { _ = try await bucket.get(sha256: ContentHash.of("x")) }
        #expect(error?.kind == .configuration)
    }

    @Test(arguments: [
        (503, "SlowDown", SharedTierError.Kind.transient),
        (500, "InternalError", .transient),
        (429, "", .transient),
        (409, "ConditionalRequestConflict", .transient),
        (403, "SignatureDoesNotMatch", .configuration),
        (403, "AccessDenied", .configuration),
        (403, "ExpiredToken", .configuration),
        (404, "NoSuchBucket", .configuration),
        (301, "PermanentRedirect", .configuration),
        (400, "AuthorizationHeaderMalformed", .configuration),
    ])
    func s3AnswersAreClassified(status: Int, code: String, kind: SharedTierError.Kind) throws {
        let bucket = try bucket(port: 9)
        // A server that echoed the secret into its message must not pass it on.
        let body = code.isEmpty ? Data() : Data("<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>bad \(secret)</Message><RequestId>R1</RequestId></Error>".utf8)
        let error = bucket.classify(HTTPResponse(status: status, body: body), doing: "read x")
        #expect(error.kind == kind)
        #expect(error.status == status)
        #expect(error.s3Code == (code.isEmpty ? nil : code))
        #expect(error.requestID == (code.isEmpty ? nil : "R1"))
        #expect(!error.message.contains(secret))
        #expect(error.message.hasSuffix("."))
    }
}
