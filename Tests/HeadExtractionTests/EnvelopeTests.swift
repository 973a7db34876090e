import Foundation
import Testing
@testable import HeadExtraction

@Suite struct EnvelopeTests {
    let successElements = #"{"elements":[{"image_url":"https://cdn.example/r/1.png","width":180,"height":220,"x":40,"y":12}]}"#

    func decode(_ json: String, status: Int = 200) throws -> Envelope {
        try Envelope.decode(Data(json.utf8), httpStatus: status)
    }

    @Test func legacySuccessDecodes() throws {
        let envelope = try decode(#"{"request_id":"r1","log_id":"l1","error_code":0,"error_code_str":"","error_msg":"","error_detail":{"status_code":200,"code":"","code_message":"","message":""},"data":\#(successElements)}"#)
        #expect(envelope.isSuccess(httpStatus: 200))
        #expect(envelope.requestID == "r1" && envelope.logID == "l1")
        let elements = try envelope.resultElements()
        #expect(elements == [ResultElement(imageURL: URL(string: "https://cdn.example/r/1.png")!, width: 180, height: 220, x: 40, y: 12)])
    }

    @Test func version202509SuccessDecodes() throws {
        let envelope = try decode(#"{"request_id":"r2","log_id":"l2","error_code":0,"error_detail":{"status_code":200,"code":"","code_message":"","message":""},"data":\#(successElements)}"#)
        #expect(envelope.isSuccess(httpStatus: 200))
        #expect(try envelope.resultElements().count == 1)
    }

    @Test func version202604SuccessDecodesWithoutErrorCode() throws {
        let envelope = try decode(#"{"request_id":"r3","log_id":"l3","error_detail":{"code":"","code_message":"","message":""},"data":\#(successElements)}"#)
        #expect(envelope.errorCode == nil)
        #expect(envelope.isSuccess(httpStatus: 200))
        #expect(try envelope.resultElements().first?.width == 180)
    }

    @Test func legacyErrorDecodesAndClassifiesByDetailCode() throws {
        let json = #"{"request_id":"r4","log_id":"l4","error_code":422,"error_code_str":"FILE_CONTENT_NON_COMPLIANCE","error_msg":"x","error_detail":{"status_code":422,"code":"ERROR_NO_FACE_IN_FILE","code_message":"No face detected in the file.","message":"pic not has face"}}"#
        let envelope = try decode(json, status: 422)
        #expect(!envelope.isSuccess(httpStatus: 422))
        let error = envelope.failure(httpStatus: 422)
        #expect(error.code == "ERROR_NO_FACE_IN_FILE")
        #expect(error.errorClass == .content)
        #expect(error.requestID == "r4")
        #expect(error.message.contains("r4"))
    }

    @Test func version202509ErrorDecodes() throws {
        let envelope = try decode(#"{"request_id":"r5","log_id":"l5","error_code":429,"error_detail":{"status_code":429,"code":"EXCEEDING_LIMITS","code_message":"Exceeds limit.","message":""}}"#, status: 429)
        let error = envelope.failure(httpStatus: 429)
        #expect(error.code == "EXCEEDING_LIMITS" && error.errorClass == .transient)
    }

    @Test func version202604ErrorDecodes() throws {
        let envelope = try decode(#"{"request_id":"r6","log_id":"l6","error_detail":{"code":"ERROR_NOT_ENOUGH_CREDITS","code_message":"Insufficient credits.","message":"no credits"}}"#, status: 429)
        let error = envelope.failure(httpStatus: 429)
        #expect(error.code == "ERROR_NOT_ENOUGH_CREDITS" && error.errorClass == .credits)
        #expect(error.message.contains("recharge"))
    }

    @Test func errorCodeMayBeAStringAndFieldsMayBeNull() throws {
        let envelope = try decode(#"{"request_id":null,"log_id":7,"error_code":"0","error_msg":null,"error_detail":null,"data":\#(successElements)}"#)
        #expect(envelope.errorCode == 0)
        #expect(envelope.logID == "7")
        #expect(envelope.isSuccess(httpStatus: 200))
        let failing = try decode(#"{"error_code":"503","data":[]}"#)
        #expect(failing.errorCode == 503)
        #expect(!failing.isSuccess(httpStatus: 200))
        #expect(failing.failure(httpStatus: 200).errorClass == .transient)
    }

    @Test func nonZeroErrorCodeOrNon200IsNotSuccess() throws {
        #expect(!(try decode(#"{"error_code":1,"data":\#(successElements)}"#)).isSuccess(httpStatus: 200))
        #expect(!(try decode(#"{"data":\#(successElements)}"#)).isSuccess(httpStatus: 201))
        #expect(!(try decode(#"{"error_detail":{"code":"X"},"data":\#(successElements)}"#)).isSuccess(httpStatus: 200))
    }

    @Test(arguments: ["", "   ", "<html><body>502 Bad Gateway</body></html>", #"{"request_id":"r","data":{"elem"#, "[]", "null"])
    func malformedBodiesAreTransient(body: String) {
        do {
            _ = try Envelope.decode(Data(body.utf8), httpStatus: 502)
            Issue.record("expected MALFORMED_RESPONSE")
        } catch {
            #expect(error.code == "MALFORMED_RESPONSE")
            #expect(error.errorClass == .transient)
            #expect(error.httpStatus == 502)
        }
    }

    @Test func successWithoutElementsIsMalformed() throws {
        for json in [#"{"error_code":0}"#, #"{"data":{}}"#, #"{"data":{"elements":[{"width":3}]}}"#] {
            let envelope = try decode(json)
            #expect(envelope.isSuccess(httpStatus: 200))
            #expect(throws: APIError.self) { try envelope.resultElements() }
            do { _ = try envelope.resultElements() } catch { #expect(error.code == "MALFORMED_RESPONSE") }
        }
    }

    @Test func encodedSuccessIsTheFullLegacyEnvelope() throws {
        let element = ResultElement(imageURL: URL(string: "http://mock/r.png")!, width: 10, height: 20, x: 1, y: 2)
        let data = Envelope.success(elements: [element], requestID: "rq", logID: "lg").jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["request_id", "log_id", "error_code", "error_code_str", "error_msg", "error_detail", "data"])
        #expect(object["error_code"] as? Int == 0)
        let detail = try #require(object["error_detail"] as? [String: Any])
        #expect(detail["status_code"] as? Int == 200 && detail["code"] as? String == "")
        let decoded = try Envelope.decode(data, httpStatus: 200)
        #expect(try decoded.resultElements() == [element])
    }

    @Test func encodedFailureCarriesTheCurrentStatus() throws {
        let envelope = Envelope.failure(code: "PROCESSING_FAILURE", requestID: "rq", logID: "lg")
        #expect(envelope.servedStatus == 500)
        let object = try #require(try JSONSerialization.jsonObject(with: envelope.jsonData()) as? [String: Any])
        #expect(object["error_code"] as? Int == 500)
        #expect(object["error_code_str"] as? String == "PROCESSING_FAILURE")
        #expect(object["error_msg"] as? String == "Processing failed.")
        let detail = try #require(object["error_detail"] as? [String: Any])
        #expect(detail["status_code"] as? Int == 500)
        #expect(detail["code"] as? String == "PROCESSING_FAILURE")
        #expect(object["data"] == nil)
        #expect(Envelope.failure(code: "UNSUPPORTED_FILE_TYPES", requestID: "", logID: "").servedStatus == 415)
    }
}
