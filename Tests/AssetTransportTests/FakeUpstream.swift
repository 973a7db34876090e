import AssetTransport
import Foundation

/// An upstream without sockets: counts calls and answers "answer N" to the Nth one.
///
/// With `echoHeader`, the answer (and a downloaded file) repeats that request header's value,
/// like a careless server that echoes the API key.
actor FakeUpstream: Transport {
    private(set) var calls = 0
    private let echoHeader: String?

    init(echoHeader: String? = nil) {
        self.echoHeader = echoHeader
    }

    private func answer(_ request: HTTPRequest) -> Data {
        calls += 1
        var text = "answer \(calls) for \(request.url.path)"
        if let echoHeader, let value = request.headers[name: echoHeader] { text += " seen \(value)" }
        return Data(text.utf8)
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "text/plain")], body: answer(request))
    }

    func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
        // Binary, so the file is stored as a blob: a PNG signature, then the answer.
        var bytes = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        bytes.append(answer(request))
        try bytes.write(to: destination)
        return HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "image/png")])
    }
}

/// A multipart extraction request like the one HeadExtraction builds.
func extractionRequest(base: URL, image: MultipartPart.Content, mask: Bool = false, key: String? = fakeKey) -> HTTPRequest {
    var parts = [MultipartPart(name: "image", content: image)]
    if mask { parts.append(.text("return_form", "mask")) }
    return HTTPRequest(
        method: "POST",
        url: URL(string: base.absoluteString + "/api/cutout/portrait/avatar-extraction")!,
        headers: key.map { [HTTPHeader("ailabapi-api-key", $0), HTTPHeader("Accept", "application/json")] } ?? [],
        body: .multipart(parts)
    )
}

extension MultipartPart.Content {
    static func fixture(_ url: URL, type: String = "image/jpeg") -> MultipartPart.Content {
        .file(url, filename: url.lastPathComponent, contentType: type)
    }
}
