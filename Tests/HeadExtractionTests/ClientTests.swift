import AssetTransport
import Foundation
import Testing
@testable import HeadExtraction

@Suite struct ClientTests {
    let mock = MockService()
    let photo = ImageBytes.png(width: 300, height: 200)
    let probed: ProbedImage

    init() throws {
        probed = try ImageProbe.probe(photo, name: "photo.png")
    }

    func client(key: String? = "test-key", transport: (any Transport)? = nil) -> HeadExtractionClient {
        HeadExtractionClient(transport: transport ?? mock, baseURL: mock.baseURL, apiKey: key, retryPolicy: .fast)
    }

    @Test func successReturnsElementsAndTheRawBody() async throws {
        let answer = try await client().extract(.data(photo), probe: probed, options: APIOptions())
        #expect(answer.elements.count == 1)
        #expect(answer.attempts == 1)
        #expect(answer.requestID?.isEmpty == false)
        let envelope = try Envelope.decode(answer.rawBody, httpStatus: 200)
        #expect(try envelope.resultElements() == answer.elements)
    }

    @Test func rateLimitIsRetriedButOutOfCreditsIsNot() async throws {
        let retried = LockedValue<[String]>([])
        mock.faults.withLock { $0.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS"), ScriptedError("EXCEEDING_LIMITS")] }
        let answer = try await client().extract(.data(photo), probe: probed, onRetry: { error in retried.withLock { $0.append(error.code) } })
        #expect(answer.attempts == 3)
        #expect(mock.counters.value.extractionCalls == 3)
        #expect(retried.value == ["EXCEEDING_LIMITS", "EXCEEDING_LIMITS"])

        mock.faults.withLock { $0.scriptedErrors = [ScriptedError("ERROR_NOT_ENOUGH_CREDITS")] }
        let error = try #require(await apiError { try await client().extract(.data(photo), probe: probed) })
        #expect(error.code == "ERROR_NOT_ENOUGH_CREDITS")
        #expect(error.errorClass == .credits)
        #expect(error.httpStatus == 429)
        #expect(error.message.contains("recharge"))
        #expect(mock.counters.value.extractionCalls == 4)
    }

    @Test func transientFailuresStopAfterFourAttempts() async throws {
        mock.faults.withLock { $0.scriptedErrors = Array(repeating: ScriptedError("AI_SERVICE_FLOW_RESTRICTION"), count: 5) }
        let error = try #require(await apiError { try await client().extract(.data(photo), probe: probed) })
        #expect(error.code == "AI_SERVICE_FLOW_RESTRICTION" && error.errorClass == .transient && error.httpStatus == 503)
        #expect(mock.counters.value.extractionCalls == 4)
    }

    @Test func retryAfterIsHonoured() async throws {
        mock.faults.withLock { $0.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS", retryAfterSeconds: 1)] }
        let waits = LockedValue<[Duration?]>([])
        let answer = try await client().extract(.data(photo), probe: probed, onRetry: { error in waits.withLock { $0.append(error.retryAfter) } })
        #expect(answer.attempts == 2)
        #expect(waits.value == [.seconds(1)], "the server's Retry-After reaches the retry decision")
        // The policy waits exactly that long instead of its own (millisecond) backoff.
        #expect(RetryPolicy(baseDelay: .milliseconds(1)).delay(beforeAttempt: 2, retryAfter: .seconds(1)) == .seconds(1))
    }

    @Test(arguments: ["", "<html><body>Bad Gateway</body></html>", #"{"request_id":"r","error_detail":{"co"#])
    func malformedBodiesAreRetried(body: String) async throws {
        mock.faults.withLock { $0.scriptedErrors = [.malformed(body, status: 200), .malformed(body, status: 502)] }
        let codes = LockedValue<[String]>([])
        let answer = try await client().extract(.data(photo), probe: probed, onRetry: { error in codes.withLock { $0.append(error.code) } })
        #expect(answer.attempts == 3)
        #expect(codes.value == ["MALFORMED_RESPONSE", "MALFORMED_RESPONSE"])
    }

    @Test func malformedEveryTimeEndsAsTransient() async throws {
        mock.faults.withLock { $0.scriptedErrors = Array(repeating: .malformed("<html></html>", status: 502), count: 4) }
        let error = try #require(await apiError { try await client().extract(.data(photo), probe: probed) })
        #expect(error.code == "MALFORMED_RESPONSE" && error.errorClass == .transient && error.httpStatus == 502)
        #expect(mock.counters.value.extractionCalls == 4)
    }

    @Test func transportTimeoutsAreRetriedAndReplayMissesAreNot() async throws {
        mock.faults.withLock { $0.scriptedErrors = [.transport(.timeout)] }
        #expect(try await client().extract(.data(photo), probe: probed).attempts == 2)

        mock.faults.withLock { $0.scriptedErrors = [.transport(.replayMiss)] }
        let miss = try #require(await apiError { try await client().extract(.data(photo), probe: probed) })
        #expect(miss.code == "REPLAY_MISS" && miss.errorClass == .input)

        mock.faults.withLock { $0.scriptedErrors = [.transport(.schemeRefused)] }
        let refused = try #require(await apiError { try await client().extract(.data(photo), probe: probed) })
        #expect(refused.code == "TRANSPORT_SCHEME_REFUSED" && refused.errorClass == .input)
        #expect(mock.counters.value.extractionCalls == 4)
    }

    @Test func inputAndContentFailuresAreNotRetried() async throws {
        mock.faults.withLock { $0.headCount = 0 }
        let noFace = try #require(await apiError { try await client().extract(.data(photo), probe: probed) })
        #expect(noFace.code == "ERROR_NO_FACE_IN_FILE" && noFace.errorClass == .content && noFace.httpStatus == 422)
        #expect(noFace.requestID != nil)
        #expect(noFace.message.contains(noFace.requestID!))

        mock.faults.withLock { $0.scriptedErrors = [ScriptedError("ERROR_PARAMETERS")] }
        let input = try #require(await apiError { try await client().extract(.data(photo), probe: probed) })
        #expect(input.code == "ERROR_PARAMETERS" && input.errorClass == .input)
        #expect(mock.counters.value.extractionCalls == 2)
    }

    @Test func fileUploadsAreReadByTheMock() async throws {
        let url = Fixtures.url("grace_hopper.jpg")
        let answer = try await client().extract(.file(url), probe: try ImageProbe.probe(fileAt: url), options: APIOptions(returnForm: .mask))
        #expect(answer.elements.first?.imageURL.lastPathComponent.hasSuffix("-mask.png") == true)
    }

    @Test func missingKeyFailsBeforeAnyCall() async throws {
        for key in [nil, "", "  "] as [String?] {
            let error = try #require(await apiError { try await client(key: key).extract(.data(photo), probe: probed) })
            #expect(error.code == "MISSING_API_KEY" && error.errorClass == .auth)
            #expect(error.message.contains("API key") && !error.message.contains("--"))
            let credits = try #require(await apiError { try await client(key: key).queryCredits() })
            #expect(credits.code == "MISSING_API_KEY")
        }
        #expect(mock.counters.value == MockCounters())
    }

    @Test func keylessClientsCallWithoutTheHeader() async throws {
        let keyless = HeadExtractionClient(transport: mock, baseURL: mock.baseURL, apiKey: nil, retryPolicy: .fast, requiresKey: false)
        #expect(try await keyless.extract(.data(photo), probe: probed).elements.count == 1)
        mock.faults.withLock { $0.requireKey = true }
        let refused = try #require(await apiError { try await keyless.extract(.data(photo), probe: probed) })
        #expect(refused.code == "ERROR_APPLICATIONS_NOT_EXISTS")
        #expect(mock.counters.value.extractionCalls == 2)
    }

    @Test func keyFileNewlinesAreDropped() async throws {
        let transport = ScriptedTransport(send: { _, _ in ScriptedTransport.json(200, #"{"data":[]}"#) })
        _ = try await client(key: "  k-1\n", transport: transport).queryCredits()
        #expect(transport.requests.value.first?.headers[name: "ailabapi-api-key"] == "k-1")
    }

    @Test func authErrorsNeverContainTheKey() async throws {
        let secret = "sk-live-0123456789abcdef"
        mock.faults.withLock { $0.requireKey = true }
        let refused = try #require(await apiError { try await client(key: "bad").extract(.data(photo), probe: probed) })
        #expect(refused.code == "ERROR_APPLICATIONS_NOT_EXISTS" && refused.errorClass == .auth && refused.httpStatus == 401)
        #expect(refused.message.contains("check the API key"))
        #expect(mock.counters.value.extractionCalls == 1)

        let echoing = ScriptedTransport(send: { request, _ in
            let key = request.headers[name: "ailabapi-api-key"] ?? ""
            return ScriptedTransport.json(401, #"{"request_id":"r9","error_detail":{"code":"ERROR_KEY_REVOKED_\#(key)","code_message":"key \#(key) revoked","message":"key \#(key) revoked"}}"#)
        })
        let error = try #require(await apiError { try await client(key: secret, transport: echoing).extract(.data(photo), probe: probed) })
        #expect(error.errorClass == .auth)
        #expect(!error.message.contains(secret))
        #expect(!error.description.contains(secret))
        #expect(echoing.callCount == 1)
    }

    /// Found by Fuzz/FuzzEnvelope: a success without elements quoted the request id unredacted.
    @Test func malformedSuccessNeverQuotesAKeyEchoedInTheRequestID() async throws {
        let secret = "sk-echoed-0123456789"
        let echoing = ScriptedTransport(send: { request, _ in
            let key = request.headers[name: "ailabapi-api-key"] ?? ""
            return ScriptedTransport.json(200, #"{"request_id":"id-\#(key)","error_detail":{"code":""}}"#)
        })
        let extraction = try #require(await apiError { try await client(key: secret, transport: echoing).extract(.data(photo), probe: probed) })
        let credits = try #require(await apiError { try await client(key: secret, transport: echoing).queryCredits() })
        for error in [extraction, credits] {
            #expect(error.code == "MALFORMED_RESPONSE")
            #expect(error.requestID == "id-<redacted>")
            #expect(error.message.hasSuffix("(request id id-<redacted>)."))
            #expect(!error.message.contains(secret))
        }
    }

    @Test func creditsAreDecodedLeniently() async throws {
        let balances = try await client().queryCredits()
        #expect(balances == MockFaults.defaultCredits)
        #expect(mock.counters.value.creditsCalls == 1)

        let lenient = ScriptedTransport(send: { _, _ in
            ScriptedTransport.json(200, #"{"request_id":"r","data":[{"unique_sign":"cutout_avatar_extraction","name":"Head","balance":12.5,"total":"20"},{"unique_sign":"common","balance":3}]}"#)
        })
        let decoded = try await client(transport: lenient).queryCredits()
        #expect(decoded == [
            CreditBalance(uniqueSign: "cutout_avatar_extraction", name: "Head", balance: 12.5, total: 20),
            CreditBalance(uniqueSign: "common", name: "", balance: 3, total: 0),
        ])
        #expect(lenient.requests.value.first?.headers[name: "ailabapi-api-key"] == "test-key")
    }
}
