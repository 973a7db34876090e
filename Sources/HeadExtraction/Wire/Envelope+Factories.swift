import Foundation

extension Envelope {
    /// A full legacy success envelope, as the mock and the server send it.
    public static func success(elements: [ResultElement], requestID: String, logID: String) -> Envelope {
        success(
            elements: elements.map { Element(imageURL: $0.imageURL.absoluteString, width: $0.width, height: $0.height, x: $0.x, y: $0.y) },
            requestID: requestID, logID: logID
        )
    }

    /// A full legacy success envelope around elements already in the wire's shape.
    public static func success(elements: [Element], requestID: String, logID: String) -> Envelope {
        Envelope(
            requestID: requestID, logID: logID, errorCode: 0, errorCodeString: "", errorMessage: "",
            errorDetail: ErrorDetail(statusCode: 200, code: "", codeMessage: "", message: ""),
            data: Payload(elements: elements)
        )
    }

    /// A full legacy failure envelope with the status the API uses for `code` today.
    ///
    /// - Parameters:
    ///   - code: an `error_detail.code`, usually from ``ErrorCodeTable``.
    ///   - message: `error_detail.message`; defaults to the vendor's description.
    ///   - status: overrides the table's status (undocumented codes default to 500).
    public static func failure(
        code: String, message: String? = nil, status: Int? = nil, requestID: String, logID: String
    ) -> Envelope {
        let info = ErrorCodeTable.info(for: code)
        let status = status ?? info?.status ?? 500
        let description = info?.description ?? message ?? code
        return Envelope(
            requestID: requestID, logID: logID, errorCode: status, errorCodeString: code,
            errorMessage: description,
            errorDetail: ErrorDetail(statusCode: status, code: code, codeMessage: description, message: message ?? description)
        )
    }

    /// The status to serve this envelope with: `error_detail.status_code`, else 200.
    public var servedStatus: Int { errorDetail?.statusCode ?? 200 }

    /// The envelope as JSON with stable key order.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every field is a string, an integer or a nested value of those: encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
