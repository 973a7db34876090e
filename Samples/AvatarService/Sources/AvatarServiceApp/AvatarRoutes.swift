import Assets
import AssetStore
import Foundation
import HeadExtraction
import Hummingbird

/// A web backend's own routes over an embedded ``Assets/AssetManager``: upload a portrait,
/// get its avatar (the first head) back as JSON with a URL, and fetch the PNG.
///
///     POST /avatars          body: the photo's bytes   → {"sha256":…,"cache":…,"avatar":{"url":…,"x":…,…}}
///     GET  /avatars/<sha256>.png                       → the head PNG, from the store
///
/// Repeats cost nothing (the store answers them); concurrent identical uploads share one call.
public struct AvatarRoutes: Sendable {
    public let manager: AssetManager
    public let store: Store
    /// The largest upload read: 64 MiB (phone photos are fitted to the engine's limits).
    public var maxUploadBytes = 64 * 1024 * 1024

    public init(manager: AssetManager, store: Store) {
        self.manager = manager
        self.store = store
    }

    /// What `POST /avatars` answers.
    public struct Avatar: ResponseCodable {
        public var sha256: String
        public var cache: String
        public var avatar: Head?

        public struct Head: Codable, Sendable {
            public var url: String
            public var width: Int
            public var height: Int
            public var x: Int
            public var y: Int
        }
    }

    /// An error as this app's clients see it: the library's code and sentence.
    public struct Failure: ResponseCodable {
        public var code: String
        public var message: String
    }

    public func add<Context: RequestContext>(to router: some RouterMethods<Context>) {
        router.post("avatars") { request, context -> Response in
            let body = try await request.body.collect(upTo: maxUploadBytes)
            let photo = Data(buffer: body)
            let extraction: Extraction
            do {
                extraction = try await manager.extract(.data(photo, name: "upload"))
            } catch let error as APIError {
                let status: HTTPResponse.Status = switch error.errorClass {
                case .input, .content: .unprocessableContent
                case .credits: .tooManyRequests
                case .transient: .serviceUnavailable
                case .auth, .internal: .internalServerError
                }
                var response = try Failure(code: error.code, message: error.errorClass == .internal ? "Try again later." : error.message)
                    .response(from: request, context: context)
                response.status = status
                return response
            }  // manager.extract throws nothing but APIError
            let head = extraction.elements.first.map { element in
                Avatar.Head(url: "/avatars/\(element.sha256.hex).png", width: element.width, height: element.height, x: element.x, y: element.y)
            }
            return try Avatar(sha256: extraction.inputSHA256.hex, cache: extraction.cache.rawValue, avatar: head).response(from: request, context: context)
        }
        router.get("avatars/:name") { _, context -> Response in
            let name = try context.parameters.require("name")
            guard name.hasSuffix(".png"), let key = ContentHash(hex: String(name.dropLast(4))), store.blobs.contains(key) else {
                return Response(status: .notFound)
            }
            let data = try Data(contentsOf: store.blobs.url(for: key))
            var headers = HTTPFields()
            headers[.contentType] = "image/png"
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
