import Foundation
import MultipartKit
import NIOCore

/// One part of a `multipart/form-data` body, as MultipartKit's parser reports it.
package struct FormPart: Sendable {
    package var name: String?
    package var filename: String?
    /// The part's own `Content-Type`, if it gave one.
    package var contentType: String?
    package var body: Data

    /// Splits `body` into its parts.
    ///
    /// - Throws: when the body is not well-formed multipart, or ends before its closing boundary.
    static func parse(_ body: ByteBuffer, boundary: String) throws -> [FormPart] {
        let reader = FormReader(boundary: boundary, expectedLength: body.readableBytes)
        try reader.feed(body)
        return try reader.finish()
    }

    /// `form-data; name="image"; filename="a.png"` as `["name": "image", "filename": "a.png"]`.
    static func parameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in value.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            var text = trimmed(pair[1])
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = text.dropFirst().dropLast() }
            result[trimmed(pair[0]).lowercased()] = String(text)
        }
        return result
    }

    /// `text` without the spaces and tabs around it.
    private static func trimmed(_ text: Substring) -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else { return "" }
        return text[first...last]
    }
}

/// Feeds a body to MultipartKit's parser as it arrives, and gathers the parts.
///
/// The parser hands a part over in many small pieces (it stops at every CR); they are appended
/// to one buffer, sized for the whole body up front, which the part's `Data` then shares.
package final class FormReader {
    private let parser: MultipartParser
    private var parts: [FormPart] = []
    private var name: String?
    private var filename: String?
    private var contentType: String?
    private var content: ByteBuffer
    /// Whether the last thing parsed ended a part.
    private var complete = false

    /// - Parameter expectedLength: the body's length, if known, to size the part buffer once.
    package init(boundary: String, expectedLength: Int?) {
        parser = MultipartParser(boundary: boundary)
        content = ByteBuffer()
        content.reserveCapacity(expectedLength ?? 0)
        parser.onHeader = { [unowned self] header, value in
            complete = false
            switch header.lowercased() {
            case "content-disposition":
                let parameters = FormPart.parameters(value)
                name = parameters["name"]
                filename = parameters["filename"]
            case "content-type":
                contentType = value
            default:
                break
            }
        }
        parser.onBody = { [unowned self] chunk in
            complete = false
            content.writeBuffer(&chunk)
        }
        parser.onPartComplete = { [unowned self] in
            // The part's Data shares the buffer's memory; the next part gets a buffer of its own.
            parts.append(FormPart(name: name, filename: filename, contentType: contentType, body: Data(buffer: content, byteTransferStrategy: .noCopy)))
            (name, filename, contentType) = (nil, nil, nil)
            // A fresh, small buffer: clearing the shared one would allocate its whole capacity again.
            content = ByteBuffer()
            complete = true
        }
    }

    /// Parses the next piece of the body.
    package func feed(_ chunk: ByteBuffer) throws {
        try parser.execute(chunk)
    }

    /// The parts, once the whole body was fed.
    ///
    /// - Throws: when the body ended within a part.
    package func finish() throws -> [FormPart] {
        guard complete, !parts.isEmpty else { throw MultipartError.truncated }
        return parts
    }

    enum MultipartError: Error {
        case truncated
    }
}
