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

    /// The configured public URL, else `http://`, the `Host` the client used and the prefix the
    /// routes are mounted under, else the address the server is bound to.
    func baseURL(for request: Request) -> URL {
        if let publicURL = configuration.publicURL { return publicURL }
        // Mounted under a group, the blob route shares the extraction route's prefix.
        let path = request.uri.path
        let prefix = path.hasSuffix(HeadExtractionAPI.extractionPath) ? String(path.dropLast(HeadExtractionAPI.extractionPath.count)) : ""
        if let host = request.head.authority, Self.isPlausibleHost(host), Self.isPlausiblePath(prefix),
           let url = URL(string: "http://\(host)\(prefix)") {
            return url
        }
        let base = boundAddress?.value ?? URL(string: "http://localhost")!
        return Self.isPlausiblePath(prefix) ? URL(string: base.absoluteString + prefix) ?? base : base
    }

    /// A path prefix made only of plain segment characters.
    static func isPlausiblePath(_ path: String) -> Bool {
        path.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "/.-_~".unicodeScalars.contains(scalar))
        }
    }

    /// A `Host` value that can only be a host and port, never a path, query or user part.
    static func isPlausibleHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 255 else { return false }
        return host.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || ".-:[]_".unicodeScalars.contains(scalar))
        }
    }
}
