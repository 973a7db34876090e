import AssetTransport
import Foundation

extension Envelope {
    /// Code for an answer whose body is not the API's JSON envelope.
    public static let malformedCode = "MALFORMED_RESPONSE"

    /// Decodes a response body.
    ///
    /// - Throws: ``APIError`` `MALFORMED_RESPONSE` (class `transient`) for an empty, truncated,
    ///   non-JSON or HTML body, or JSON that is not an object.
    public static func decode(_ body: Data, httpStatus: Int) throws(APIError) -> Envelope {
        do {
            return try JSONDecoder().decode(Envelope.self, from: body)
        } catch {
            throw malformed("with \(describe(body)) instead of its JSON envelope", httpStatus: httpStatus)
        }
    }

    /// Whether this answer is a success: HTTP 200, an empty `error_detail.code`, and an
    /// `error_code` of 0 where that field is present.
    public func isSuccess(httpStatus: Int) -> Bool {
        httpStatus == 200 && (errorDetail?.code ?? "").isEmpty && (errorCode ?? 0) == 0
    }

    /// The code that names the failure: `error_detail.code`, else the legacy `error_code_str`.
    public var failureCode: String? {
        if let code = errorDetail?.code, !code.isEmpty { return code }
        if let code = errorCodeString, !code.isEmpty { return code }
        return nil
    }

    /// The status to classify a failure by: the HTTP status, unless a legacy answer hid its
    /// real status inside a 200.
    public func failureStatus(httpStatus: Int) -> Int {
        guard httpStatus == 200 else { return httpStatus }
        if let status = errorDetail?.statusCode, status != 200 { return status }
        if let status = errorCode, status != 0 { return status }
        return httpStatus
    }

    /// The failure as an ``APIError``, for an answer that is not a success.
    public func failure(httpStatus: Int, retryAfter: Duration? = nil, redacting secret: String? = nil) -> APIError {
        let apiMessage = [errorDetail?.codeMessage, errorDetail?.message, errorMessage]
            .compactMap { $0 }.first { !$0.isEmpty }
        return APIError.fromAnswer(
            code: failureCode, httpStatus: failureStatus(httpStatus: httpStatus), apiMessage: apiMessage,
            requestID: requestID, retryAfter: retryAfter, redacting: secret
        )
    }

    /// The elements of a successful answer.
    ///
    /// - Parameter secret: the API key, removed from the `request_id` the error quotes, since
    ///   the API may echo it anywhere.
    /// - Throws: ``APIError`` `MALFORMED_RESPONSE` when `data.elements` is missing or an element
    ///   has no usable `image_url`.
    public func resultElements(redacting secret: String? = nil) throws(APIError) -> [ResultElement] {
        let requestID = requestID.map { Redaction.redact($0, secrets: [secret]) }
        guard let elements = data?.elements else {
            throw Self.malformed("reporting success but without data.elements", httpStatus: 200, requestID: requestID)
        }
        var results: [ResultElement] = []
        for element in elements {
            guard let text = element.imageURL, !text.isEmpty, let url = URL(string: text), url.scheme != nil else {
                throw Self.malformed("reporting success but with an element that has no image_url", httpStatus: 200, requestID: requestID)
            }
            results.append(ResultElement(
                imageURL: url, width: element.width ?? 0, height: element.height ?? 0,
                x: element.x ?? 0, y: element.y ?? 0
            ))
        }
        return results
    }

    static func malformed(_ what: String, httpStatus: Int, requestID: String? = nil) -> APIError {
        APIError(
            code: malformedCode, errorClass: .transient,
            message: "The API answered HTTP \(httpStatus) \(what); try again later\(APIError.requestSuffix(requestID)).",
            requestID: requestID, httpStatus: httpStatus
        )
    }

    private static func describe(_ body: Data) -> String {
        let start = body.prefix(64).drop { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if start.isEmpty { return "an empty body" }
        if start.first == UInt8(ascii: "<") { return "an HTML or XML page" }
        if start.first == UInt8(ascii: "{") { return "truncated or invalid JSON" }
        return "a body that is not JSON"
    }
}
