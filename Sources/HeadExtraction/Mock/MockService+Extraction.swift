import AssetTransport
import Crypto
import Foundation

extension MockService {
    /// `POST` extraction: validates like the API, then finds ``MockFaults/headCount`` heads.
    func extraction(_ request: HTTPRequest) throws -> HTTPResponse {
        let parts: [MultipartPart]
        switch request.body {
        case .multipart(let given):
            parts = given
        case .bytes, .file:
            return failure("MISSING_PARAMETERS", "The body must be multipart/form-data with an image field.")
        case .empty:
            parts = []
        }
        guard let imagePart = parts.first(where: { $0.name == HeadExtractionAPI.imageField }) else {
            return failure("MISSING_PARAMETERS", "The image field is required.")
        }
        let bytes: Data
        let filename: String
        switch imagePart.content {
        case .text:
            return failure("MISSING_PARAMETERS", "The image field must be a file.")
        case .data(let data, let name, _):
            (bytes, filename) = (data, name)
        case .file(let url, let name, _):
            do {
                bytes = try Data(contentsOf: url)
            } catch {
                throw TransportError(.localFile, "The upload \(url.lastPathComponent) cannot be read; check that the file exists and is readable.")
            }
            filename = name
        }

        var isMask = false
        if let part = parts.first(where: { $0.name == HeadExtractionAPI.returnFormField }) {
            guard case .text(let value) = part.content, value.isEmpty || value == ReturnForm.mask.rawValue else {
                return failure("UNSUPPORTED_PARAMETER_VALUES", "return_form accepts only mask.")
            }
            isMask = value == ReturnForm.mask.rawValue
        }

        let probed: ProbedImage
        do {
            probed = try ImageProbe.probe(bytes, name: filename)
        } catch {
            return failure(error.code, error.message)
        }
        // Bounded, since the count may come from a control route.
        let headCount = min(faults.value.headCount, 64)
        guard headCount > 0 else { return failure("ERROR_NO_FACE_IN_FILE", "pic not has face") }

        let elements = Self.heads(count: headCount, in: probed, bytes: bytes, isMask: isMask).map { head in
            ResultElement(imageURL: HeadExtractionAPI.url(baseURL, Self.resultsPath + head.result.name), width: head.width, height: head.height, x: head.x, y: head.y)
        }
        return answer(.success(elements: elements, requestID: newID(), logID: newID()))
    }

    /// The `count` heads of an image: each in its own column, sized and shifted by the input's
    /// SHA-256, so the same input always gets the same heads.
    static func heads(count: Int, in image: ProbedImage, bytes: Data, isMask: Bool) -> [(result: MockResult, width: Int, height: Int, x: Int, y: Int)] {
        let digest = Array(SHA256.hash(data: bytes))
        let prefix = digest.prefix(8).map { String(format: "%02x", $0) }.joined()
        return (0..<count).map { index in
            func byte(_ offset: Int) -> Int { Int(digest[(index * 4 + offset) % digest.count]) }
            let column = max(1, image.width / count)
            let width = min(column, max(1, column * (40 + byte(0) % 31) / 100))
            let height = min(image.height, max(1, width * (110 + byte(1) % 31) / 100))
            let x = min(image.width - width, index * column + byte(2) % (column - width + 1))
            let y = byte(3) % ((image.height - height) / 2 + 1)
            let result = MockResult(inputHashPrefix: prefix, index: index, width: width, height: height, isMask: isMask)
            return (result, width, height, max(0, x), y)
        }
    }

    /// `GET` credits: the balances in ``MockFaults/credits``.
    func credits() -> HTTPResponse {
        var envelope = Envelope.success(elements: [Envelope.Element](), requestID: newID(), logID: newID())
        envelope.data = nil
        let answer = CreditsAnswer(envelope: envelope, data: faults.value.credits)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "application/json")],
            body: (try? encoder.encode(answer)) ?? Data()
        )
    }

    private func failure(_ code: String, _ message: String) -> HTTPResponse {
        answer(.failure(code: code, message: message, requestID: newID(), logID: newID()))
    }
}

/// The credits answer: the legacy envelope with `data` as an array of balances.
private struct CreditsAnswer: Encodable {
    var envelope: Envelope
    var data: [CreditBalance]

    enum CodingKeys: String, CodingKey { case data }

    func encode(to encoder: any Encoder) throws {
        try envelope.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
    }
}
