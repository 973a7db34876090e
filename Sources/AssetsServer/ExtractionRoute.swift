import Assets
import Foundation
import HeadExtraction
import Hummingbird
import Logging

/// `POST /api/cutout/portrait/avatar-extraction` through a shared ``Assets/AssetManager``.
///
/// Reads the form within the body cap, asks the manager (which probes the image, answers from
/// the store, and shares concurrent identical calls), and answers with the API's legacy
/// envelope. Each `image_url` is the permanent blob URL of the stored result.
struct ExtractionRoute: Sendable {
    let manager: AssetManager
    let configuration: AssetsServerConfiguration
    let metrics: ServerMetrics?
    let boundAddress: BoundAddress?

    func respond(to request: Request, context: some RequestContext) async throws -> Response {
        let upload: Upload
        switch try await Upload.read(request, limit: configuration.maxBodyBytes) {
        case .success(let read):
            upload = read
        case .failure(let refusal):
            metrics?.recordError(code: refusal.code)
            return refusal.response
        }

        let extraction: Extraction
        do {
            extraction = try await manager.extract(
                .data(upload.image, name: upload.filename),
                options: ExtractOptions(api: ExtractionOptions(returnForm: upload.returnForm))
            )
        } catch {
            metrics?.recordError(code: error.code)
            if error.errorClass == .transient || error.errorClass == .internal {
                context.logger.warning("extraction failed", metadata: ["code": .string(error.code), "message": .string(error.message)])
            }
            return EnvelopeResponse.failure(error)
        }
        metrics?.recordExtraction(hit: extraction.cache == .hit)

        let base = baseURL(for: request)
        let elements = extraction.elements.map { element in
            ResultElement(
                imageURL: base.appendingPathComponent("blobs", isDirectory: true).appendingPathComponent("\(element.sha256.hex).png"),
                width: element.width, height: element.height, x: element.x, y: element.y
            )
        }
        let requestID = extraction.requestID ?? EnvelopeResponse.newID()
        return EnvelopeResponse.make(.success(elements: elements, requestID: requestID, logID: EnvelopeResponse.newID()))
    }

    /// The configured public URL, else `http://` and the `Host` the client used, else the
    /// address the server is bound to.
    func baseURL(for request: Request) -> URL {
        if let publicURL = configuration.publicURL { return publicURL }
        if let host = request.head.authority, Self.isPlausibleHost(host), let url = URL(string: "http://\(host)") {
            return url
        }
        return boundAddress?.value ?? URL(string: "http://localhost")!
    }

    /// A `Host` value that can only be a host and port, never a path, query or user part.
    static func isPlausibleHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 255 else { return false }
        return host.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || ".-:[]_".unicodeScalars.contains(scalar))
        }
    }
}
