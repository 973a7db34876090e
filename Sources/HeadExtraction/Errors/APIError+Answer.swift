import AssetTransport
import Foundation

extension APIError {
    /// The error for a failed API answer: classified, with one sentence that says what to do.
    ///
    /// - Parameters:
    ///   - code: `error_detail.code` (or the legacy `error_code_str`), if the answer had one.
    ///   - httpStatus: the status used for classification.
    ///   - apiMessage: the API's own words, used only for codes the vendor's table lacks.
    ///   - requestID: the API's `request_id`, quoted in the message.
    ///   - secret: the API key, removed from anything the API echoed back.
    public static func fromAnswer(
        code: String?, httpStatus: Int, apiMessage: String? = nil, requestID: String? = nil,
        retryAfter: Duration? = nil, redacting secret: String? = nil
    ) -> APIError {
        // Anything the API sent back may echo the key: the code, the words, even the id.
        let code = code.flatMap { $0.isEmpty ? nil : Redaction.redact($0, secrets: [secret]) }
        let requestID = requestID.map { Redaction.redact($0, secrets: [secret]) }
        let errorClass = ErrorClassifier.classify(code: code, httpStatus: httpStatus)
        let stableCode = code ?? "HTTP_\(httpStatus)"
        let info = code.flatMap(ErrorCodeTable.info(for:))
        let detail = Redaction.redact(info?.description ?? apiMessage ?? "HTTP status \(httpStatus)", secrets: [secret])
        // Redaction ignores case, so lowercasing the fragment cannot spell an echoed "Sk-…" again.
        let reason = "\(stableCode): \(sentenceFragment(detail))"

        let message: String
        switch (errorClass, code) {
        case (.credits, _):
            message = "The AILabTools account is out of credits (\(reason)); recharge it and try again"
        case (.auth, _):
            message = "The API refused the key (\(reason)); check the API key"
        case (.transient, _):
            message = "The API is busy or failing (\(reason)); try again later"
        case (.content, "ERROR_NO_FACE_IN_FILE"?), (.content, "ERROR_FACE_COUNT_INVALID"?):
            message = "The API found no usable face in this photo (\(reason)); use a photo with one to four clear faces"
        case (.content, "FILE_DECODING_FAILURE"?), (.content, "ERROR_INVALID_FILE"?), (.content, "ERROR_ILLEGAL_FILE"?):
            message = "The API could not decode this image (\(reason)); re-export it as a standard JPEG or PNG"
        case (.content, _):
            message = "The API cannot use the face in this photo (\(reason)); try a sharper, well-lit, front-facing photo"
        case (.input, _):
            message = "The API refused the request (\(reason)); fix the image or the options and try again"
        case (.internal, _):
            message = "The API answered in a way this client cannot handle (\(reason)); report this with the request id"
        }
        return APIError(
            code: stableCode, errorClass: errorClass,
            message: message + requestSuffix(requestID) + ".",
            requestID: requestID, httpStatus: httpStatus, retryAfter: retryAfter
        )
    }

    /// ` (request id X)`, or nothing when the API gave no id.
    static func requestSuffix(_ requestID: String?) -> String {
        guard let requestID, !requestID.isEmpty else { return "" }
        return " (request id \(requestID))"
    }

    /// `Face not found.` as `face not found`, so it reads inside a sentence.
    private static func sentenceFragment(_ text: String) -> String {
        var fragment = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // The vendor's longer descriptions add "Please try again later. …"; the first sentence is enough.
        if let stop = fragment.range(of: ". ") { fragment = String(fragment[..<stop.lowerBound]) }
        while fragment.hasSuffix(".") { fragment.removeLast() }
        guard let first = fragment.first else { return fragment }
        let second = fragment.dropFirst().first
        // Keep acronyms such as `AI service` intact.
        if second?.isUppercase == true { return fragment }
        return first.lowercased() + fragment.dropFirst()
    }
}
