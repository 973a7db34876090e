import Foundation
import MultipartKit
import NIOCore

/// One part of a `multipart/form-data` body, as MultipartKit's parser reports it.
struct FormPart: Sendable {
    var name: String?
    var filename: String?
    var body: Data

    /// Splits `body` into its parts.
    ///
    /// - Throws: when the body is not well-formed multipart, or ends before its closing boundary.
    static func parse(_ body: ByteBuffer, boundary: String) throws -> [FormPart] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [FormPart] = []
        var name: String?
        var filename: String?
        // The parser hands a part over in many small pieces (it stops at every CR): gather them
        // in one buffer sized for the whole body, and copy once per part.
        var content = ByteBuffer()
        content.reserveCapacity(body.readableBytes)
        parser.onHeader = { header, value in
            guard header.lowercased() == "content-disposition" else { return }
            let parameters = Self.parameters(value)
            name = parameters["name"]
            filename = parameters["filename"]
        }
        parser.onBody = { chunk in
            content.writeBuffer(&chunk)
        }
        parser.onPartComplete = {
            parts.append(FormPart(name: name, filename: filename, body: Data(buffer: content)))
            (name, filename) = (nil, nil)
            content.clear()
        }
        try parser.execute(body)
        return parts
    }

    /// `form-data; name="image"; filename="a.png"` as `["name": "image", "filename": "a.png"]`.
    static func parameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        for item in value.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            var text = pair[1].trimmingCharacters(in: .whitespaces)
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
            result[pair[0].trimmingCharacters(in: .whitespaces).lowercased()] = text
        }
        return result
    }
}
