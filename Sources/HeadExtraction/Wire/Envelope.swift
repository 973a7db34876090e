import Foundation

/// The API's JSON answer, in any of its documented versions.
///
/// ```swift
/// let envelope = try Envelope.decode(response.body, httpStatus: response.status)
/// if envelope.isSuccess(httpStatus: response.status) { … }
/// ```
///
/// Versions: legacy (`error_code`, `error_code_str`, `error_msg`, `error_detail.status_code`),
/// 2025-09 (without `error_code_str` and `error_msg`) and 2026-04 (only `request_id`, `log_id`
/// and `error_detail{code, code_message, message}`). Every field is optional, a field of an
/// unexpected shape reads as missing, and `error_code` may be a number or a string.
/// Encoding writes only the fields that are set; ``success(elements:requestID:logID:)`` and
/// ``failure(code:message:status:requestID:logID:)`` set all of the legacy ones.
public struct Envelope: Codable, Sendable, Hashable {
    /// `error_detail`: the current place for the failure's code.
    public struct ErrorDetail: Codable, Sendable, Hashable {
        /// `status_code`, legacy only.
        public var statusCode: Int?
        /// The code that decides the class; empty on success.
        public var code: String?
        /// The vendor's description of `code`.
        public var codeMessage: String?
        /// Free-form detail, sometimes in broken English.
        public var message: String?

        public init(statusCode: Int? = nil, code: String? = nil, codeMessage: String? = nil, message: String? = nil) {
            self.statusCode = statusCode
            self.code = code
            self.codeMessage = codeMessage
            self.message = message
        }

        enum CodingKeys: String, CodingKey {
            case statusCode = "status_code", code, codeMessage = "code_message", message
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            statusCode = container.lenientInt(forKey: .statusCode)
            code = container.lenientString(forKey: .code)
            codeMessage = container.lenientString(forKey: .codeMessage)
            message = container.lenientString(forKey: .message)
        }
    }

    /// `data`: the successful result.
    public struct Payload: Codable, Sendable, Hashable {
        /// One entry per head found.
        public var elements: [Element]?

        public init(elements: [Element]?) { self.elements = elements }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            elements = container.lenient([Element].self, forKey: .elements)
        }
    }

    /// `data.elements[]`: one extracted head.
    public struct Element: Codable, Sendable, Hashable {
        /// `image_url`: a temporary URL of the result image.
        public var imageURL: String?
        public var width: Int?
        public var height: Int?
        public var x: Int?
        public var y: Int?

        public init(imageURL: String?, width: Int?, height: Int?, x: Int?, y: Int?) {
            self.imageURL = imageURL
            self.width = width
            self.height = height
            self.x = x
            self.y = y
        }

        enum CodingKeys: String, CodingKey {
            case imageURL = "image_url", width, height, x, y
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            imageURL = container.lenientString(forKey: .imageURL)
            width = container.lenientInt(forKey: .width)
            height = container.lenientInt(forKey: .height)
            x = container.lenientInt(forKey: .x)
            y = container.lenientInt(forKey: .y)
        }
    }

    /// `request_id`: quote it to the vendor.
    public var requestID: String?
    /// `log_id`.
    public var logID: String?
    /// Legacy and 2025-09: 0 on success, else usually the HTTP status.
    public var errorCode: Int?
    /// Legacy only: a code string, sometimes broader than `error_detail.code`.
    public var errorCodeString: String?
    /// Legacy only.
    public var errorMessage: String?
    /// Where the failure's code lives in every version.
    public var errorDetail: ErrorDetail?
    /// The result, on success.
    public var data: Payload?

    public init(
        requestID: String? = nil, logID: String? = nil, errorCode: Int? = nil, errorCodeString: String? = nil,
        errorMessage: String? = nil, errorDetail: ErrorDetail? = nil, data: Payload? = nil
    ) {
        self.requestID = requestID
        self.logID = logID
        self.errorCode = errorCode
        self.errorCodeString = errorCodeString
        self.errorMessage = errorMessage
        self.errorDetail = errorDetail
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", logID = "log_id", errorCode = "error_code"
        case errorCodeString = "error_code_str", errorMessage = "error_msg", errorDetail = "error_detail", data
    }

    public init(from decoder: any Decoder) throws {
        // Only the top level must be an object; everything inside is optional.
        let container = try decoder.container(keyedBy: CodingKeys.self)
        requestID = container.lenientString(forKey: .requestID)
        logID = container.lenientString(forKey: .logID)
        errorCode = container.lenientInt(forKey: .errorCode)
        errorCodeString = container.lenientString(forKey: .errorCodeString)
        errorMessage = container.lenientString(forKey: .errorMessage)
        errorDetail = container.lenient(ErrorDetail.self, forKey: .errorDetail)
        data = container.lenient(Payload.self, forKey: .data)
    }
}
