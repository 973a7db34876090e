import AssetTransport
import Foundation
import Testing
@testable import HeadExtraction
import TestSupport

@Suite struct MockServiceTests {
    let mock = MockService()

    func post(_ image: Data?, returnForm: String? = nil, key: String? = nil) async throws -> (HTTPResponse, Envelope) {
        var parts: [MultipartPart] = []
        if let image { parts.append(MultipartPart(name: "image", content: .data(image, filename: "x.png", contentType: "image/png"))) }
        if let returnForm { parts.append(.text("return_form", returnForm)) }
        let request = HTTPRequest(
            method: "POST", url: mock.baseURL.appendingPathComponent("api/cutout/portrait/avatar-extraction"),
            headers: key.map { [HTTPHeader("ailabapi-api-key", $0)] } ?? [], body: .multipart(parts)
        )
        let response = try await mock.send(request)
        return (response, try Envelope.decode(response.body, httpStatus: response.status))
    }

    @Test func sameInputGetsTheSameElements() async throws {
        let image = ImageBytes.png(width: 640, height: 480)
        let first = try await post(image).1.resultElements()
        let second = try await post(image).1.resultElements()
        #expect(first == second)
        let other = try await post(ImageBytes.png(width: 641, height: 480)).1.resultElements()
        #expect(other != first)
        let element = try #require(first.first)
        #expect(element.imageURL.absoluteString.hasPrefix("http://mock.ailabapi.invalid/mock/results/"))
        #expect(element.x >= 0 && element.x + element.width <= 640)
        #expect(element.y >= 0 && element.y + element.height <= 480)
        #expect(mock.counters.value.extractionCalls == 3)
    }

    @Test func successIsTheFullLegacyEnvelope() async throws {
        let (response, _) = try await post(ImageBytes.png(width: 100, height: 100))
        #expect(response.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        for key in ["request_id", "log_id", "error_code", "error_code_str", "error_msg", "error_detail", "data"] {
            #expect(object[key] != nil, "\(key)")
        }
    }

    @Test func headCountControlsTheElements() async throws {
        mock.faults.withLock { $0.headCount = 3 }
        let elements = try await post(ImageBytes.png(width: 900, height: 600)).1.resultElements()
        #expect(elements.count == 3)
        #expect(Set(elements.map(\.imageURL)).count == 3)
        for element in elements {
            #expect(element.x + element.width <= 900 && element.y + element.height <= 600)
        }

        mock.faults.withLock { $0.headCount = 0 }
        let (response, envelope) = try await post(ImageBytes.png(width: 900, height: 600))
        #expect(response.status == 422)
        #expect(envelope.errorDetail?.code == "ERROR_NO_FACE_IN_FILE")
        #expect(envelope.errorDetail?.statusCode == 422)
        #expect(envelope.errorCode == 422)
    }

    @Test func scriptedErrorsAnswerInOrderWithTheirStatuses() async throws {
        mock.faults.withLock {
            $0.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS", retryAfterSeconds: 2), ScriptedError("PROCESSING_FAILURE")]
        }
        let image = ImageBytes.png(width: 100, height: 100)
        let (first, firstEnvelope) = try await post(image)
        #expect(first.status == 429 && firstEnvelope.failureCode == "EXCEEDING_LIMITS")
        #expect(first.headers[name: "Retry-After"] == "2")
        let (second, secondEnvelope) = try await post(image)
        #expect(second.status == 500 && secondEnvelope.failureCode == "PROCESSING_FAILURE")
        #expect(try await post(image).0.status == 200)
    }

    @Test func invalidUploadsGetTheAPIsCodes() async throws {
        let (gif, gifEnvelope) = try await post(Data("GIF89a....".utf8))
        #expect(gif.status == 415 && gifEnvelope.failureCode == "UNSUPPORTED_FILE_TYPES")
        let (tiny, tinyEnvelope) = try await post(ImageBytes.png(width: 20, height: 20))
        #expect(tiny.status == 422 && tinyEnvelope.failureCode == "ERROR_LOW_RESOLUTION")
        let (missing, missingEnvelope) = try await post(nil)
        #expect(missing.status == 400 && missingEnvelope.failureCode == "MISSING_PARAMETERS")
        let (badForm, badFormEnvelope) = try await post(ImageBytes.png(width: 100, height: 100), returnForm: "rgb")
        #expect(badForm.status == 400 && badFormEnvelope.failureCode == "UNSUPPORTED_PARAMETER_VALUES")
    }

    @Test func unknownRoutesAnswer404() async throws {
        let response = try await mock.send(HTTPRequest(url: mock.baseURL.appendingPathComponent("api/nothing")))
        #expect(response.status == 404)
        #expect(try Envelope.decode(response.body, httpStatus: 404).failureCode == "ERROR_RESOURCE_NOT_FOUND")
    }

    @Test func requireKeyRefusesMissingAndBadKeys() async throws {
        mock.faults.withLock { $0.requireKey = true }
        let image = ImageBytes.png(width: 100, height: 100)
        #expect(try await post(image).0.status == 401)
        #expect(try await post(image, key: "bad").1.failureCode == "ERROR_APPLICATIONS_NOT_EXISTS")
        #expect(try await post(image, key: "anything").0.status == 200)
    }

    @Test func maskIsOneChannelAndCutoutFour() async throws {
        let image = ImageBytes.png(width: 500, height: 400)
        let folder = TemporaryDirectory()
        for (form, channels) in [(nil, 4), ("mask", 1)] as [(String?, Int)] {
            let element = try #require(try await post(image, returnForm: form).1.resultElements().first)
            let destination = folder.path("\(channels).png")
            let response = try await mock.download(HTTPRequest(url: element.imageURL), to: destination, limit: 1 << 24)
            #expect(response.status == 200)
            let info = try PNGCodec.decodeInfo(try Data(contentsOf: destination))
            #expect(info.channels == channels)
            #expect(info.width == element.width && info.height == element.height)
        }
    }

    @Test func resultsRegenerateInANewMock() async throws {
        let element = try #require(try await post(ImageBytes.png(width: 300, height: 300)).1.resultElements().first)
        let first = try await mock.send(HTTPRequest(url: element.imageURL))
        let second = try await MockService().send(HTTPRequest(url: element.imageURL))
        #expect(first.status == 200 && second.status == 200)
        #expect(first.body == second.body)
        #expect(try PNGCodec.decodeInfo(first.body).width == element.width)
    }

    @Test func downloadFaults() async throws {
        let element = try #require(try await post(ImageBytes.png(width: 300, height: 300)).1.resultElements().first)
        let folder = TemporaryDirectory()
        let destination = folder.path("r.png")
        let request = HTTPRequest(url: element.imageURL)
        mock.faults.withLock { $0.downloadFaults = [.truncated, .missing, .expired, .oversized] }

        do {
            _ = try await mock.download(request, to: destination, limit: 1 << 24)
            Issue.record("expected truncated")
        } catch let error as TransportError {
            #expect(error.code == .truncated)
        }
        let missing = try await mock.download(request, to: destination, limit: 1 << 24)
        #expect(missing.status == 404)
        let expired = try await mock.download(request, to: destination, limit: 1 << 24)
        #expect(expired.status == 403)
        #expect(String(decoding: expired.body, as: UTF8.self).contains("<Code>AccessDenied</Code>"))
        do {
            _ = try await mock.download(request, to: destination, limit: 1 << 24)
            Issue.record("expected tooLarge")
        } catch let error as TransportError {
            #expect(error.code == .tooLarge)
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(mock.counters.value.downloads == 4)

        let unknown = try await mock.download(HTTPRequest(url: mock.baseURL.appendingPathComponent("mock/results/nope.png")), to: destination, limit: 1 << 24)
        #expect(unknown.status == 404)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }

    @Test func latencyDelaysAnswers() async throws {
        mock.faults.withLock { $0.latency = .milliseconds(80) }
        #expect(mock.faults.value.latencyMilliseconds == 80)
        // A cancelled caller is released by the latency sleep: proof that the answer waits on it.
        let task = Task { try await mock.send(HTTPRequest(url: mock.baseURL.appendingPathComponent("api/common/query-credits"))) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func faultStateIsCodable() throws {
        var faults = MockFaults()
        faults.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS", retryAfterSeconds: 3), .transport(.timeout), .malformed("<html>")]
        faults.headCount = 2
        faults.requireKey = true
        faults.downloadFaults = [.expired, .oversized]
        faults.latency = .milliseconds(15)
        let decoded = try JSONDecoder().decode(MockFaults.self, from: JSONEncoder().encode(faults))
        #expect(decoded == faults)
        #expect(try JSONDecoder().decode(MockCounters.self, from: JSONEncoder().encode(mock.counters.value)) == MockCounters())
    }

    @Test func partialFaultStateDecodesWithDefaults() throws {
        let faults = try JSONDecoder().decode(MockFaults.self, from: Data(#"{"headCount":0,"scriptedErrors":[{"code":"EXCEEDING_LIMITS"}]}"#.utf8))
        #expect(faults.headCount == 0)
        #expect(faults.scriptedErrors == [ScriptedError("EXCEEDING_LIMITS")])
        #expect(faults.requireKey == false && faults.credits == MockFaults.defaultCredits)
    }

    @Test func creditsAnswerIsTheLegacyEnvelopeWithBalances() async throws {
        let response = try await mock.send(HTTPRequest(url: mock.baseURL.appendingPathComponent("api/common/query-credits")))
        #expect(response.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        #expect(object["error_code"] as? Int == 0)
        #expect((object["error_detail"] as? [String: Any])?["status_code"] as? Int == 200)
        let data = try #require(object["data"] as? [[String: Any]])
        #expect(data.map { $0["unique_sign"] as? String } == ["cutout_avatar_extraction", "common"])
        #expect(mock.counters.value.creditsCalls == 1)
    }

    @Test func resultNamesParseBack() {
        let result = MockResult(inputHashPrefix: "0123456789abcdef", index: 2, width: 30, height: 40, isMask: true)
        #expect(MockResult(name: result.name) == result)
        for bad in ["x.png", "0123456789abcdef-1-99999x5-mask.png", "0123456789abcdef-1-5x5-rgb.png", "0123456789abcdef-1-5x5-mask.jpg"] {
            #expect(MockResult(name: bad) == nil, "\(bad)")
        }
    }
}
