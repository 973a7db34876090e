import Foundation
import HeadExtraction
import Hummingbird

/// Answers in the API's own shape: the full legacy envelope, served with its status.
enum EnvelopeResponse {
    /// The envelope as JSON, with `error_detail.status_code` as the HTTP status.
    static func make(_ envelope: Envelope) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: HTTPResponse.Status(code: envelope.servedStatus),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: envelope.jsonData()))
        )
    }

    /// A failure envelope for `code`, with the status the API uses for it unless `status` is given.
    static func failure(_ code: String, message: String? = nil, status: Int? = nil, requestID: String? = nil) -> Response {
        make(.failure(code: code, message: message, status: status, requestID: requestID ?? newID(), logID: newID()))
    }

    /// An ``APIError`` as the API would have answered it.
    ///
    /// The status is the error's own (the API's answer or ``ImageProbe``'s), else the status
    /// the API documents for the code, else 502 for a transient failure of the way upstream
    /// (timeouts, connection errors) and 500 for anything else.
    ///
    /// An `internal` failure (the store cannot be written, a bug) is answered with a generic
    /// sentence: its own message names server paths and causes that are the operator's
    /// business, and the route logs it. A `503` carries `Retry-After` when the error knows one.
    static func failure(_ error: APIError) -> Response {
        let message = error.errorClass == .internal ? internalMessage : error.message
        var response = failure(error.code, message: message, status: status(for: error), requestID: error.requestID)
        if let retryAfter = error.retryAfter, response.status.code == 503 || response.status.code == 429 {
            response.headers[.retryAfter] = String(max(1, retryAfter.components.seconds))
        }
        return response
    }

    /// What a client is told of an `internal` failure.
    static let internalMessage = "The server could not complete this request; try again later, and tell the server's operator if it persists."

    static func status(for error: APIError) -> Int {
        if let status = error.httpStatus { return status }
        if ErrorCodeTable.info(for: error.code) != nil { return ErrorCodeTable.status(for: error.code) }
        return error.errorClass == .transient ? 502 : 500
    }

    /// A fresh id in the API's format for `request_id` and `log_id`: a random (version 4)
    /// UUID in lowercase.
    ///
    /// Its bits come from `SystemRandomNumberGenerator` (one `getrandom` call): Foundation's
    /// `UUID()` opens and reads `/dev/urandom` on Linux, several system calls per answer.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bits = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bits) { bytes in
            bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
            bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
            return UUID(uuid: bytes.load(as: uuid_t.self)).uuidString.lowercased()
        }
    }
}
