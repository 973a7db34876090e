import AssetTransport
import Foundation

/// Reads a `multipart/form-data` body into parts, for the servers that receive uploads as raw bytes.
///
/// ```swift
/// let parts = try MultipartBody.parse(body, contentType: "multipart/form-data; boundary=XyZ")
/// ```
///
/// A part with a `filename` becomes ``MultipartPart/Content/data(_:filename:contentType:)``,
/// any other part ``MultipartPart/Content/text(_:)``.
public enum MultipartBody {
    /// Why a body could not be read as `multipart/form-data`.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `body` using the boundary in `contentType`.
    ///
    /// - Throws: ``Failure`` when the content type has no boundary or the body is not well formed.
    public static func parse(_ body: Data, contentType: String) throws(Failure) -> [MultipartPart] {
        guard let boundary = boundary(in: contentType) else {
            throw Failure(description: "the content type is not multipart/form-data with a boundary")
        }
        let delimiter = Data("--\(boundary)".utf8)
        let crlf = Data("\r\n".utf8)
        guard var cursor = body.range(of: delimiter)?.upperBound else {
            throw Failure(description: "the body does not contain its boundary")
        }
        var parts: [MultipartPart] = []
        while true {
            // After a delimiter: "--" closes the body, CRLF starts a part.
            if body[cursor...].starts(with: Data("--".utf8)) { return parts }
            guard body[cursor...].starts(with: crlf) else { throw Failure(description: "a boundary is not followed by a line break") }
            cursor += crlf.count
            guard let next = body.range(of: crlf + delimiter, in: cursor..<body.endIndex) else {
                throw Failure(description: "the body ends before its closing boundary")
            }
            parts.append(try part(body[cursor..<next.lowerBound]))
            cursor = next.upperBound
        }
    }

    private static func part(_ bytes: Data) throws(Failure) -> MultipartPart {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = bytes.range(of: separator) else { throw Failure(description: "a part has no header block") }
        let headerText = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self)
        let content = Data(bytes[end.upperBound...])
        var disposition: [String: String] = [:]
        var contentType = "application/octet-stream"
        for line in headerText.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-disposition" { disposition = parameters(value) }
            if name == "content-type" { contentType = value }
        }
        guard let name = disposition["name"] else { throw Failure(description: "a part has no name") }
        if let filename = disposition["filename"] {
            return MultipartPart(name: name, content: .data(content, filename: filename, contentType: contentType))
        }
        return .text(name, String(decoding: content, as: UTF8.self))
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

    private static func boundary(in contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        let boundary = parameters(contentType)["boundary"]
        return boundary?.isEmpty == false ? boundary : nil
    }
}
