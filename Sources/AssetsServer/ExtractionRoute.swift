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
        // Answers point at the blob route, which serves the store: without one there is nothing
        // to point at (and the results would be temporary files nobody deletes).
        guard manager.store != nil else {
            context.logger.error("the extraction route needs a manager with a store; this one has none")
            metrics?.recordError(code: "STORE_REQUIRED")
            return EnvelopeResponse.failure("STORE_REQUIRED", message: EnvelopeResponse.internalMessage, status: 500)
        }
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
                options: ExtractOptions(api: APIOptions(returnForm: upload.returnForm), fit: configuration.fit, maxPixels: configuration.maxPixels)
            )
        } catch {
            metrics?.recordError(code: error.code)
            if error.errorClass == .internal {
                // The client gets a generic sentence (see EnvelopeResponse.failure); the operator gets this.
                context.logger.error("extraction failed", metadata: ["code": .string(error.code), "message": .string(error.message)])
            } else if error.errorClass == .transient {
                context.logger.warning("extraction failed", metadata: ["code": .string(error.code), "message": .string(error.message)])
            }
            return EnvelopeResponse.failure(error)
        }

        let blobs = blobsBase(for: request)
        let elements = extraction.elements.map { element in
            Envelope.Element(imageURL: blobs + element.sha256.hex + ".png", width: element.width, height: element.height, x: element.x, y: element.y)
        }
        let requestID = extraction.requestID ?? EnvelopeResponse.newID()
        return EnvelopeResponse.make(.success(elements: elements, requestID: requestID, logID: EnvelopeResponse.newID()))
    }

    /// Where `image_url`s start, up to and including `/blobs/`: under the configured public
    /// URL, else under `http://`, the `Host` the client used and the prefix the routes are
    /// mounted under, else under the address the server is bound to.
    func blobsBase(for request: Request) -> String {
        if let publicURL = configuration.publicURL { return Self.joined(publicURL.absoluteString, "blobs/") }
        // Mounted under a group, the blob route shares the extraction route's prefix.
        let path = request.uri.path
        let prefix = path.hasSuffix(HeadExtractionAPI.extractionPath) ? String(path.dropLast(HeadExtractionAPI.extractionPath.count)) : ""
        let bound = boundAddress?.value?.absoluteString ?? "http://localhost"
        let root: String
        if !Self.isPlausiblePath(prefix) {
            root = bound
        } else if let host = request.head.authority, Self.isPlausibleHost(host) {
            root = "http://" + host + prefix
        } else {
            root = bound + prefix
        }
        return Self.joined(root, "blobs/")
    }

    /// `base` and `path` with one slash between them.
    private static func joined(_ base: String, _ path: String) -> String {
        base.hasSuffix("/") ? base + path : base + "/" + path
    }

    /// A path prefix made only of plain segment characters.
    static func isPlausiblePath(_ path: String) -> Bool {
        path.utf8.allSatisfy { byte in isAlphanumeric(byte) || "/.-_~".utf8.contains(byte) }
    }

    /// A `Host` value that can only be a host and port, never a path, query or user part.
    static func isPlausibleHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 255,
              host.utf8.allSatisfy({ byte in isAlphanumeric(byte) || ".-:[]_".utf8.contains(byte) }) else { return false }
        // An IPv6 literal must be one well-formed `[…]`, optionally with a port.
        return !host.contains("[") && !host.contains("]") || URL(string: "http://\(host)/")?.host != nil
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
