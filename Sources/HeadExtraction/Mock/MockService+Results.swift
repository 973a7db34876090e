import AssetTransport
import Foundation

extension MockService {
    /// The answer for a result URL, honouring the next ``DownloadFault``.
    ///
    /// - Returns: the response (with an empty body) and the PNG on success, or an error response
    ///   with an object-store XML body and no PNG.
    /// - Throws: ``TransportError`` for `.truncated`, `.oversized`, or a PNG over `limit`.
    func result(for url: URL, limit: Int64?) throws -> (HTTPResponse, Data?) {
        let fault = faults.withLock { $0.downloadFaults.isEmpty ? nil : $0.downloadFaults.removeFirst() }
        let name = url.lastPathComponent
        switch fault {
        case .missing:
            return (objectStoreError(404, "NoSuchKey", "The specified key does not exist.", key: name), nil)
        case .expired:
            return (objectStoreError(403, "AccessDenied", "Request has expired", key: name), nil)
        default:
            break
        }
        guard url.path.contains(Self.resultsPath), let result = MockResult(name: name) else {
            return (objectStoreError(404, "NoSuchKey", "The specified key does not exist.", key: name), nil)
        }
        let png = result.png()
        switch fault {
        case .truncated:
            throw TransportError(.truncated, "The download of \(name) ended after \(png.count / 2) of \(png.count) bytes; try again.")
        case .oversized:
            throw TransportError(.tooLarge, "The download of \(name) is larger than its limit of \(limit ?? 0) bytes; raise the limit.")
        default:
            break
        }
        if let limit, Int64(png.count) > limit {
            throw TransportError(.tooLarge, "The download of \(name) is \(png.count) bytes, larger than its limit of \(limit) bytes; raise the limit.")
        }
        let headers = [HTTPHeader("Content-Type", "image/png"), HTTPHeader("Content-Length", String(png.count))]
        return (HTTPResponse(status: 200, headers: headers), png)
    }

    /// The XML error an S3-style object store answers with.
    private func objectStoreError(_ status: Int, _ code: String, _ message: String, key: String) -> HTTPResponse {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>\(code)</Code><Message>\(message)</Message><Key>\(xmlEscaped(key))</Key><RequestId>\(newID())</RequestId></Error>
            """
        return HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "application/xml")], body: Data(xml.utf8))
    }

    private func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
