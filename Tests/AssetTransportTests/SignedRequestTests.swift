import AssetTransport
import Foundation
import TestSupport
import Testing

/// What a request with an ``AWSSignature`` sends, and what of it is ever written down.
@Suite("SigV4 signed requests")
struct SignedRequestTests {
    let server: LoopbackServer
    let folder = TemporaryDirectory()
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789"

    init() async throws {
        server = try await LoopbackServer.start()
    }

    var signature: AWSSignature {
        AWSSignature(region: "eu-west-1", accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: secret, sessionToken: token)
    }

    struct Echo: Decodable {
        var method: String
        var body_sha256: String
        var header_names: [String]
    }

    @Test func aSignedRequestCarriesTheSignatureTheBodyHashAndTheToken() async throws {
        let body = Data("signed body".utf8)
        let request = HTTPRequest(method: "POST", url: server.url("/echo"), headers: [HTTPHeader("Content-Type", "application/octet-stream")], body: .bytes(body), signature: signature)
        let response = try await CurlTransport().send(request)
        #expect(response.status == 200)
        let echo = try JSONDecoder().decode(Echo.self, from: response.body)
        #expect(echo.body_sha256 == SHA256Hex.of(body))
        for name in ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"] {
            #expect(echo.header_names.contains(name), "\(name)")
        }
        #expect(!echo.header_names.contains("expect"))
        // The caller's headers are unchanged: what the transport adds is not part of the request.
        #expect(request.headers.map(\.name) == ["Content-Type"])
    }

    @Test func anUnsignedRequestHasNoneOfThem() async throws {
        let response = try await CurlTransport().send(HTTPRequest(url: server.url("/echo")))
        let echo = try JSONDecoder().decode(Echo.self, from: response.body)
        #expect(!echo.header_names.contains("authorization"))
        #expect(!echo.header_names.contains("x-amz-content-sha256"))
    }

    @Test func anUnsortedOrUnencodedQueryIsRefusedBeforeSending() async throws {
        for query in ["prefix=a&list-type=2", "list-type=2&prefix=a/b", "list-type=2&prefix=a%2fb"] {
            let request = HTTPRequest(url: server.url("/echo?\(query)"), signature: signature)
            let error = await #expect(throws: TransportError.self) { _ = try await CurlTransport().send(request) }
            #expect(error?.message.contains("sorted") == true, "\(query)")
        }
        let sorted = AWSSignature.canonicalQuery([("prefix", "a/b c"), ("list-type", "2"), ("max-keys", "5")])
        #expect(sorted == "list-type=2&max-keys=5&prefix=a%2Fb%20c")
        let response = try await CurlTransport().send(HTTPRequest(url: server.url("/echo?\(sorted)"), signature: signature))
        #expect(response.status == 200)
    }

    @Test func aRecordedSignedRequestHoldsNoSecretAndNoToken() async throws {
        let cassette = folder.path("signed.json")
        let recorder = RecordingTransport(upstream: CurlTransport(), cassette: cassette, mode: .all, secrets: [])
        let request = HTTPRequest(method: "POST", url: server.url("/echo"), body: .bytes(Data("x".utf8)), signature: signature)
        _ = try await recorder.send(request)
        for (_, bytes) in try folder.allFiles() {
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains(secret))
            #expect(!text.contains(token))
            #expect(!text.contains("AWS4-HMAC-SHA256"))
        }
        #expect(try folder.allFiles().count >= 1)
    }

    @Test func aRecordingThatWouldHoldTheSecretIsRefused() async throws {
        let cassette = folder.path("leak.json")
        let recorder = RecordingTransport(upstream: CurlTransport(), cassette: cassette, mode: .all, secrets: [])
        // The body echoes the secret back: saving it would write the secret, so nothing is saved.
        let request = HTTPRequest(method: "POST", url: server.url("/echo"), headers: [HTTPHeader("X-Note", secret)], body: .bytes(Data(secret.utf8)), signature: signature)
        await #expect(throws: TransportError.self) { _ = try await recorder.send(request) }
        for (_, bytes) in try folder.allFiles() {
            #expect(!String(decoding: bytes, as: UTF8.self).contains(secret))
        }
    }
}
