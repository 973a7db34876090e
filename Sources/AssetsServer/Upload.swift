import Foundation
import HeadExtraction
import Hummingbird
import MultipartKit

/// One extraction request's form: the `image` file and the optional `return_form`.
struct Upload: Sendable {
    var image: Data
    /// The part's `filename`, for messages.
    var filename: String
    var returnForm: ReturnForm?

    /// Reads and parses the body as it arrives, or returns the API's answer to a body it would refuse.
    ///
    /// A body whose `Content-Length` is over `limit` is refused before a byte of it is read;
    /// one without a length is refused as soon as it passes `limit`.
    static func read(_ request: Request, limit: Int) async throws -> Result<Upload, EnvelopeFailure> {
        let tooLarge = tooLarge(limit: limit)
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length, length > limit {
            return .failure(tooLarge)
        }
        guard let boundary = boundary(in: request.headers[.contentType]) else {
            return .failure(EnvelopeFailure(code: "MISSING_PARAMETERS", message: "The body must be multipart/form-data with an image field."))
        }
        // The parser reads each piece as it arrives, so the body is never gathered whole.
        let reader = FormReader(boundary: boundary, expectedLength: length)
        var received = 0
        for try await chunk in request.body {
            received += chunk.readableBytes
            guard received <= limit else { return .failure(tooLarge) }
            do {
                try reader.feed(chunk)
            } catch {
                return .failure(malformed)
            }
        }
        guard let parts = try? reader.finish() else { return .failure(malformed) }
        return upload(from: parts)
    }

    /// The answer to a body over `limit` bytes.
    static func tooLarge(limit: Int) -> EnvelopeFailure {
        EnvelopeFailure(
            code: "FILE_SIZE_EXCEEDS_LIMIT", status: 413,
            message: "The request body is larger than \(limit) bytes; send an image of at most 3 MiB (3,145,728 bytes)."
        )
    }

    private static let malformed = EnvelopeFailure(code: "MISSING_PARAMETERS", message: "The multipart body is malformed; send the image as multipart/form-data.")

    private static func upload(from parts: [FormPart]) -> Result<Upload, EnvelopeFailure> {
        guard let image = parts.first(where: { $0.name == HeadExtractionAPI.imageField }) else {
            return .failure(EnvelopeFailure(code: "MISSING_PARAMETERS", message: "The image field is required."))
        }
        var returnForm: ReturnForm?
        if let part = parts.first(where: { $0.name == HeadExtractionAPI.returnFormField }) {
            let value = String(decoding: part.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !value.isEmpty {
                guard let form = ReturnForm(rawValue: value) else {
                    return .failure(EnvelopeFailure(code: "UNSUPPORTED_PARAMETER_VALUES", message: "return_form accepts only mask."))
                }
                returnForm = form
            }
        }
        return .success(Upload(image: image.body, filename: image.filename ?? "image", returnForm: returnForm))
    }

    private static let mediaType = Array("multipart/form-data".utf8)

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    /// The boundary of a `multipart/form-data` content type.
    static func boundary(in contentType: String?) -> String? {
        guard let contentType, contentType.utf8.count >= mediaType.count,
              zip(contentType.utf8, mediaType).allSatisfy({ asciiLowercased($0) == $1 }) else { return nil }
        let boundary = FormPart.parameters(contentType)["boundary"]
        // RFC 2046 caps a boundary at 70 characters; MultipartKit needs a non-empty one.
        guard let boundary, !boundary.isEmpty, boundary.count <= 70 else { return nil }
        return boundary
    }
}

/// A refusal in the API's envelope: a code, and optionally a status and a message.
struct EnvelopeFailure: Error, Sendable {
    var code: String
    var status: Int?
    var message: String?

    init(code: String, status: Int? = nil, message: String? = nil) {
        self.code = code
        self.status = status
        self.message = message
    }

    var response: Response {
        EnvelopeResponse.failure(code, message: message, status: status)
    }
}
