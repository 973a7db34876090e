import AssetTransport
import Foundation
import Testing
@testable import HeadExtraction

@Suite struct ErrorClassifierTests {
    @Test(arguments: [
        ("EXCEEDING_LIMITS", 429, ErrorClass.transient),
        ("ERROR_NOT_ENOUGH_CREDITS", 429, .credits),
        ("AI_SERVICE_FLOW_RESTRICTION", 503, .transient),
        ("ERROR_INSUFFICIENT_RESOURCES", 503, .transient),
        ("SERVICE_INTERNAL_ERROR", 500, .transient),
        ("UNKNOWN_ERROR", 500, .transient),
        ("AI_SERVICE_TIMEOUT", 504, .transient),
        ("ERROR_GATEWAY", 502, .transient),
        ("ERROR_APPLICATIONS_NOT_EXISTS", 401, .auth),
        ("ERROR_USER_NOT_EXISTS", 401, .auth),
        ("ERROR_USER_LOCKED", 403, .auth),
        ("FILE_SIZE_EXCEEDS_LIMIT", 413, .input),
        ("FILE_RESOLUTION_EXCEEDS_LIMITS", 413, .input),
        ("ERROR_HIGH_RESOLUTION", 413, .input),
        ("ERROR_LOW_RESOLUTION", 422, .input),
        ("UNSUPPORTED_FILE_TYPES", 415, .input),
        ("MISSING_PARAMETERS", 400, .input),
        ("ERROR_PARAMETERS", 400, .input),
        ("ERROR_NO_FACE_IN_FILE", 422, .content),
        ("FILE_DECODING_FAILURE", 422, .content),
        ("ERROR_FACE_COUNT_INVALID", 422, .content),
        ("FILE_CONTENT_NON_COMPLIANCE", 422, .content),
        ("ERROR_BLURRY_FACE", 422, .content),
    ])
    func documentedCodes(code: String, status: Int, expected: ErrorClass) {
        #expect(ErrorClassifier.classify(code: code, httpStatus: status) == expected)
    }

    /// The code decides, not the status: these moved on 2026-01-08.
    @Test func oldStatusesClassifyTheSame() {
        #expect(ErrorClassifier.classify(code: "PROCESSING_FAILURE", httpStatus: 400) == .transient)
        #expect(ErrorClassifier.classify(code: "EXCEEDING_LIMITS", httpStatus: 422) == .transient)
        #expect(ErrorClassifier.classify(code: "FILE_DECODING_FAILURE", httpStatus: 400) == .content)
        #expect(ErrorClassifier.classify(code: "ERROR_INSUFFICIENT_RESOURCES", httpStatus: 400) == .transient)
    }

    @Test func unknownCodesFallBackToTheStatus() {
        #expect(ErrorClassifier.classify(code: "SOMETHING_NEW", httpStatus: 503) == .transient)
        #expect(ErrorClassifier.classify(code: "SOMETHING_NEW", httpStatus: 429) == .transient)
        #expect(ErrorClassifier.classify(code: "SOMETHING_NEW", httpStatus: 500) == .transient)
        #expect(ErrorClassifier.classify(code: "SOMETHING_NEW", httpStatus: 400) == .input)
        #expect(ErrorClassifier.classify(code: "SOMETHING_NEW", httpStatus: 422) == .input)
        #expect(ErrorClassifier.classify(code: nil, httpStatus: 502) == .transient)
        #expect(ErrorClassifier.classify(code: "", httpStatus: 404) == .input)
    }

    @Test func everyDocumentedCodeHasAClass() {
        #expect(ErrorCodeTable.all.count == 126)
        for info in ErrorCodeTable.all {
            let errorClass = ErrorClassifier.classify(code: info.code, httpStatus: info.status)
            #expect(errorClass != .internal || info.code == "ERROR_AI_NOT_EXISTS", "\(info.code)")
            // Every 502, 503 and 504 code is worth another try.
            if [502, 503, 504].contains(info.status) { #expect(errorClass == .transient, "\(info.code)") }
            // Classification never depends on which side of 2026-01-08 the status came from.
            #expect(ErrorClassifier.classify(code: info.code, httpStatus: info.statusBefore2026) == errorClass, "\(info.code)")
        }
    }

    @Test func messagesSayWhatToDoAndQuoteTheRequestID() {
        let credits = APIError.fromAnswer(code: "ERROR_NOT_ENOUGH_CREDITS", httpStatus: 429, requestID: "abc123")
        #expect(credits.message.contains("recharge"))
        #expect(credits.message.contains("abc123"))
        #expect(credits.requestID == "abc123")
        let auth = APIError.fromAnswer(code: "ERROR_APPLICATIONS_NOT_EXISTS", httpStatus: 401)
        #expect(auth.message.contains("check the API key"))
        let transient = APIError.fromAnswer(code: "UNKNOWN_ERROR", httpStatus: 500)
        #expect(transient.message.contains("try again later"))
        #expect(transient.message.hasSuffix("."))
        let content = APIError.fromAnswer(code: "ERROR_NO_FACE_IN_FILE", httpStatus: 422)
        #expect(content.message.contains("no usable face"))
        let unknown = APIError.fromAnswer(code: nil, httpStatus: 418)
        #expect(unknown.code == "HTTP_418" && unknown.errorClass == .input)
    }

    @Test func echoedKeyIsRedacted() {
        let error = APIError.fromAnswer(
            code: "SOMETHING_NEW", httpStatus: 401, apiMessage: "key sk-secret-123 is invalid", redacting: "sk-secret-123"
        )
        #expect(!error.message.contains("sk-secret-123"))
        #expect(error.errorClass == .auth)
    }

    @Test func transportErrorsKeepTheirCodes() {
        let cases: [(TransportError.Code, ErrorClass)] = [
            (.timeout, .transient), (.connection, .transient), (.truncated, .transient), (.other, .transient),
            (.schemeRefused, .input), (.tooLarge, .input), (.replayMiss, .input), (.localFile, .input), (.cassette, .internal),
        ]
        for (code, expected) in cases {
            let error = APIError.fromTransport(TransportError(code, "It failed; try again."))
            #expect(error.code == code.rawValue)
            #expect(error.errorClass == expected, "\(code)")
            #expect(error.message == "It failed; try again.")
        }
        #expect(APIError.fromTransport(TransportError(.localFile, "x"), localFileClass: .internal).errorClass == .internal)
        #expect(APIError.fromTransport(CancellationError()).code == "CANCELLED")
    }

    @Test func hugeOrOddNumbersDoNotTrap() throws {
        let envelope = try Envelope.decode(Data(#"{"error_code":1e300,"error_detail":{"status_code":"4.2e400"},"data":{"elements":[{"image_url":"http://x/y.png","width":12.7,"x":"3"}]}}"#.utf8), httpStatus: 200)
        #expect(envelope.errorCode == nil)
        #expect(try envelope.resultElements().first?.width == 12)
        #expect(try envelope.resultElements().first?.x == 3)
    }
}
