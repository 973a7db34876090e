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
        var current = FormPart(body: Data())
        parser.onHeader = { name, value in
            guard name.lowercased() == "content-disposition" else { return }
            let parameters = Self.parameters(value)
            current.name = parameters["name"]
            current.filename = parameters["filename"]
        }
        parser.onBody = { chunk in
            current.body.append(contentsOf: chunk.readableBytesView)
        }
        parser.onPartComplete = {
            parts.append(current)
            current = FormPart(body: Data())
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
