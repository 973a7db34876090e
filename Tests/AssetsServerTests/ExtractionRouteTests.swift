import AssetStore
import Foundation
@testable import HeadExtraction
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AssetsServer

@Suite struct ExtractionRouteTests {
    let fixture: ServerFixture
    let path = "/api/cutout/portrait/avatar-extraction"

    init() throws {
        fixture = try ServerFixture()
    }

    func post(_ body: ByteBuffer, headers: HTTPFields = Form.headers(key: ServerFixture.clientKey), on fixture: ServerFixture? = nil) async throws -> TestResponse {
        try await (fixture ?? self.fixture).test { client in
            try await client.execute(uri: path, method: .post, headers: headers, body: body)
        }
    }

    @Test func successIsTheFullLegacyEnvelopeWithPermanentURLs() async throws {
        let image = try Form.fixture("grace_hopper.jpg")
        let response = try await post(Form.body(image: image))
        #expect(response.status == .ok)
        let envelope = try WireEnvelope(response.body)
        #expect(envelope.error_code == 0)
        #expect(envelope.error_code_str == "")
        #expect(envelope.error_msg == "")
        #expect(envelope.error_detail.status_code == 200)
        #expect(envelope.error_detail.code == "")
        #expect(!envelope.request_id.isEmpty && !envelope.log_id.isEmpty)
        let element = try #require(envelope.data?.elements.first)
        #expect(envelope.data?.elements.count == 1)

        // The URL names the stored blob, on the host the client reached.
        let url = try #require(URL(string: element.image_url))
        #expect(url.host == "localhost")
        #expect(url.path.hasPrefix("/blobs/") && url.path.hasSuffix(".png"))
        let hex = String(url.lastPathComponent.dropLast(4))
        let hash = try #require(ContentHash(hex: hex))
        let blob = try fixture.store.blobs.read(hash)
        #expect(ContentHash.of(blob) == hash)

        // Same geometry as the mock answered the manager with.
        let mock = MockService()
        let direct = try await mock.send(HeadExtractionAPI.extractionRequest(
            baseURL: mock.baseURL, image: .data(image), format: .jpeg, options: APIOptions(), apiKey: nil
        ))
        let expected = try #require(try Envelope.decode(direct.body, httpStatus: direct.status).data?.elements?.first)
        #expect(element.width == expected.width && element.height == expected.height)
        #expect(element.x == expected.x && element.y == expected.y)
    }

    @Test func aStoreThatCannotBeWrittenGetsA500WithoutServerPaths() async throws {
        // Every blob shard is a file, not a folder: the answer's blob cannot be stored.
        for shard in 0..<256 {
            let name = String(format: "%02x", shard)
            try Data().write(to: fixture.store.blobs.root.appendingPathComponent(name))
        }
        let response = try await post(Form.body(image: try Form.fixture("grace_hopper.jpg")))
        #expect(response.status == .internalServerError)
        let text = String(buffer: response.body)
        #expect(text.contains("STORE_ERROR"), "a shard that is a file is no full disk, read-only store or damage")
        #expect(!text.contains(fixture.store.root.path), "no server path: \(text)")
        #expect(!text.contains("/blobs/"))
        #expect(text.contains("try again later"))
    }

    @Test func aRepeatIsAnsweredFromTheStore() async throws {
        let body = Form.body(image: try Form.fixture("grace_hopper.jpg"))
        let first = try WireEnvelope(try await post(body).body)
        let second = try WireEnvelope(try await post(body).body)
        #expect(fixture.extractionCalls == 1)
        #expect(first.data?.elements.first?.image_url == second.data?.elements.first?.image_url)
        #expect(fixture.manager.activity.hits == 1)
    }

    @Test func thePublicURLIsTheBaseOfImageURLs() async throws {
        let fixture = try ServerFixture(publicURL: URL(string: "https://cdn.example.com/heads")!)
        let response = try await post(Form.body(image: try Form.fixture("grace_hopper.jpg")), on: fixture)
        let url = try #require(try WireEnvelope(response.body).data?.elements.first?.image_url)
        #expect(url.hasPrefix("https://cdn.example.com/heads/blobs/"))
    }

    @Test func maskIsPassedOnAndCachedSeparately() async throws {
        let image = try Form.fixture("grace_hopper.jpg")
        let cutout = try WireEnvelope(try await post(Form.body(image: image)).body)
        let mask = try WireEnvelope(try await post(Form.body(image: image, fields: [("return_form", "mask")])).body)
        #expect(fixture.extractionCalls == 2)
        #expect(cutout.data?.elements.first?.image_url != mask.data?.elements.first?.image_url)
    }

    @Test(arguments: [
        (Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8), "UNSUPPORTED_FILE_TYPES", 415),
        (Data(), "UNSUPPORTED_FILE_TYPES", 415),
        (Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]), "FILE_DECODING_FAILURE", 422),
    ])
    func probeRejectionsUseTheAPIsCodeAndCostNoCall(image: Data, code: String, status: Int) async throws {
        let response = try await post(Form.body(image: image, filename: "bad.gif"))
        #expect(response.status.code == status)
        let envelope = try WireEnvelope(response.body)
        #expect(envelope.error_detail.code == code)
        #expect(envelope.error_detail.status_code == status)
        #expect(envelope.error_code_str == code)
        #expect(fixture.extractionCalls == 0)
    }

    @Test func tinyAndHugeImagesAreRefusedByTheProbe() async throws {
        let tiny = try await post(Form.body(image: pngHeader(width: 32, height: 300)))
        #expect(tiny.status.code == 422)
        #expect(try WireEnvelope(tiny.body).error_detail.code == "ERROR_LOW_RESOLUTION")
        let wide = try await post(Form.body(image: pngHeader(width: 2000, height: 300)))
        #expect(wide.status.code == 413)
        #expect(try WireEnvelope(wide.body).error_detail.code == "FILE_RESOLUTION_EXCEEDS_LIMITS")
        #expect(fixture.extractionCalls == 0)
    }

    @Test func anOversizedBodyGets413BeforeAnyCall() async throws {
        let image = Data(repeating: 0xFF, count: AssetsServerConfiguration.defaultMaxBodyBytes + 1)
        let response = try await post(Form.body(image: image))
        #expect(response.status.code == 413)
        let envelope = try WireEnvelope(response.body)
        #expect(envelope.error_detail.code == "FILE_SIZE_EXCEEDS_LIMIT")
        #expect(envelope.error_detail.status_code == 413)
        #expect(fixture.extractionCalls == 0)
    }

    @Test func anImageJustOverThreeMiBGetsTheProbes413() async throws {
        var image = Data(try Form.fixture("grace_hopper.jpg"))
        image.append(Data(repeating: 0, count: ImageProbe.maxByteCount + 1 - image.count))
        let response = try await post(Form.body(image: image))
        #expect(response.status.code == 413)
        #expect(try WireEnvelope(response.body).error_detail.code == "FILE_SIZE_EXCEEDS_LIMIT")
        #expect(fixture.extractionCalls == 0)
    }

    @Test func malformedFormsGetTheAPIsParameterCodes() async throws {
        let noImage = try await post(Form.body(image: Data()).replacingImageName())
        #expect(noImage.status.code == 400)
        #expect(try WireEnvelope(noImage.body).error_detail.code == "MISSING_PARAMETERS")

        var json = Form.headers(key: ServerFixture.clientKey)
        json[.contentType] = "application/json"
        let notMultipart = try await post(ByteBuffer(string: "{}"), headers: json)
        #expect(notMultipart.status.code == 400)
        #expect(try WireEnvelope(notMultipart.body).error_detail.code == "MISSING_PARAMETERS")

        let badForm = try await post(Form.body(image: try Form.fixture("grace_hopper.jpg"), fields: [("return_form", "alpha")]))
        #expect(badForm.status.code == 400)
        #expect(try WireEnvelope(badForm.body).error_detail.code == "UNSUPPORTED_PARAMETER_VALUES")
        #expect(fixture.extractionCalls == 0)
    }

    @Test(arguments: [
        ("ERROR_NOT_ENOUGH_CREDITS", 429),
        ("ERROR_NO_FACE_IN_FILE", 422),
        ("ERROR_USER_LOCKED", 403),
        ("PROCESSING_FAILURE", 500),
    ])
    func upstreamFailuresKeepTheirCodeAndStatus(code: String, status: Int) async throws {
        fixture.mock.faults.withLock { $0.scriptedErrors = [ScriptedError(code)] }
        let response = try await post(Form.body(image: try Form.fixture("grace_hopper.jpg")))
        #expect(response.status.code == status)
        let envelope = try WireEnvelope(response.body)
        #expect(envelope.error_detail.code == code)
        #expect(envelope.error_detail.status_code == status)
    }

    @Test func aTransferFailureWithoutAnAPIStatusIs502() async throws {
        fixture.mock.faults.withLock { $0.scriptedErrors = [.transport(.connection)] }
        let response = try await post(Form.body(image: try Form.fixture("grace_hopper.jpg")))
        #expect(response.status.code == 502)
        #expect(try WireEnvelope(response.body).error_detail.code == "TRANSPORT_CONNECTION")
    }

    @Test func healthAndMetrics() async throws {
        let body = Form.body(image: try Form.fixture("grace_hopper.jpg"))
        let text = try await fixture.test { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            _ = try await client.execute(uri: path, method: .post, headers: Form.headers(key: ServerFixture.clientKey), body: body)
            _ = try await client.execute(uri: path, method: .post, headers: Form.headers(key: ServerFixture.clientKey), body: body)
            _ = try await client.execute(uri: path, method: .post, headers: Form.headers(key: nil), body: body)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            return String(buffer: metrics.body)
        }
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains("assets_cache_hits_total 1"))
        #expect(lines.contains("assets_cache_misses_total 1"))
        #expect(lines.contains("assets_upstream_calls_total 1"))
        #expect(lines.contains("assets_credits_saved_total 0"), "a mock answer never cost a credit")
        #expect(lines.contains(#"assets_errors_total{code="ERROR_APPLICATIONS_NOT_EXISTS"} 1"#))
        #expect(text.contains(#"assets_http_request_duration_seconds_bucket{route="/api/cutout/portrait/avatar-extraction",method="POST",status="200""#))
        #expect(!text.contains(ServerFixture.clientKey))
    }

    /// A structurally complete PNG of the given size, enough for the probe.
    func pngHeader(width: Int, height: Int) -> Data {
        func be32(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(data.count) + body + be32(Int(CRC32.checksum(body)))
        }
        var bytes = ImageProbe.pngSignature
        bytes += chunk("IHDR", be32(width) + be32(height) + [8, 6, 0, 0, 0])
        bytes += chunk("IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01])
        bytes += chunk("IEND", [])
        return Data(bytes)
    }
}

extension ByteBuffer {
    /// The same form with the image field renamed, so that it has no `image`.
    fileprivate func replacingImageName() -> ByteBuffer {
        ByteBuffer(string: String(buffer: self).replacingOccurrences(of: "name=\"image\"", with: "name=\"picture\""))
    }
}
