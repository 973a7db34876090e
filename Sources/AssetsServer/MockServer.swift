import AssetTransport
import Foundation
import HeadExtraction
import HTTPTypes
import Hummingbird
import Synchronization

/// The `mock` backend's simulated API over HTTP, with its fault controls.
///
/// ```swift
/// let mockServer = MockServer(service: MockService(baseURL: URL(string: "http://127.0.0.1:8081")!))
/// let router = Router(context: AssetsRequestContext.self)
/// mockServer.addRoutes(to: router)
/// ```
///
/// The API's paths are answered by ``HeadExtraction/MockService``: extraction, `query-credits`
/// and the result downloads under `/mock/results/`, which the extraction answers point at.
/// The controls, for loopback clients only (others get 403):
/// - `GET /__mock/faults`, `PUT /__mock/faults` with a (partial) ``HeadExtraction/MockFaults`` as JSON;
/// - `GET /__mock/counters`: calls seen, as ``HeadExtraction/MockCounters``;
/// - `POST /__mock/reset`: clears faults and counters.
///
/// - Important: Thread-safe. The service may be installed after the server is bound, so that
///   its result URLs name the port it got; until then the API paths answer 503.
public final class MockServer: Sendable {
    private let installed: Mutex<MockService?>

    /// A mock server answering through `service`, or through one installed later with ``install(_:)``.
    public init(service: MockService? = nil) {
        installed = Mutex(service)
    }

    /// The simulated API, once installed.
    public var service: MockService? { installed.withLock { $0 } }

    /// Answers through `service` from now on.
    public func install(_ service: MockService) {
        installed.withLock { $0 = service }
    }

    /// The largest request body read (the API's limit plus framing; the mock refuses more itself).
    static let maxBodyBytes = AssetsServerConfiguration.defaultMaxBodyBytes

    /// Adds the API's paths, the result downloads and the control routes to `router`.
    public func addRoutes<Context: RemoteAddressRequestContext>(to router: some RouterMethods<Context>) {
        let controls = router.group("__mock").add(middleware: LoopbackOnlyMiddleware())
        controls.get("faults") { [self] _, _ in
            try json(requireService().faults.value)
        }
        controls.put("faults") { [self] request, _ in
            let service = try requireService()
            let body = try await request.body.collect(upTo: 1 << 20)
            let faults: MockFaults
            do {
                faults = try JSONDecoder().decode(MockFaults.self, from: Data(buffer: body))
            } catch {
                return BlobRoute.plain(.badRequest, "The body must be MockFaults as JSON, such as {\"headCount\": 2}.")
            }
            service.faults.withLock { $0 = faults }
            return try json(faults)
        }
        controls.get("counters") { [self] _, _ in
            try json(requireService().counters.value)
        }
        controls.post("reset") { [self] _, _ in
            try requireService().reset()
            return Response(status: .noContent)
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            router.on("**", method: method) { [self] request, _ in
                try await forward(request)
            }
        }
    }

    /// Hands a request to the mock: a form as its parts, any other body as its bytes.
    func forward(_ request: Request) async throws -> Response {
        guard let service else {
            return BlobRoute.plain(.serviceUnavailable, "The mock is not ready yet; try again in a moment.")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.maxBodyBytes {
            return EnvelopeResponse.failure("FILE_SIZE_EXCEEDS_LIMIT", status: 413)
        }
        var body = ByteBuffer()
        for try await chunk in request.body {
            guard body.readableBytes + chunk.readableBytes <= Self.maxBodyBytes else {
                return EnvelopeResponse.failure("FILE_SIZE_EXCEEDS_LIMIT", status: 413)
            }
            body.writeImmutableBuffer(chunk)
        }
        var target = service.baseURL.absoluteString
        if target.hasSuffix("/") { target.removeLast() }
        guard let url = URL(string: target + request.uri.description) else {
            return BlobRoute.plain(.badRequest, "The request target is not a valid URL path.")
        }
        let upstream = AssetTransport.HTTPRequest(
            method: request.method.rawValue, url: url,
            headers: request.headers.map { AssetTransport.HTTPHeader($0.name.rawName, $0.value) },
            body: Self.body(body, contentType: request.headers[.contentType])
        )
        let answer: AssetTransport.HTTPResponse
        do {
            answer = try await service.send(upstream)
        } catch let error as TransportError {
            // A scripted transfer failure: answer as a broken gateway would, without an envelope.
            return BlobRoute.plain(.badGateway, "The mock was told to fail this transfer with \(error.code).")
        }
        var headers = HTTPFields()
        for header in answer.headers where header.name.lowercased() != "content-length" {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        return Response(status: .init(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// A form as the parts MultipartKit reads from it, as a client would have sent them; any
    /// other body (not a form, or a broken one) as its bytes, which the mock refuses as the API would.
    static func body(_ body: ByteBuffer, contentType: String?) -> AssetTransport.HTTPRequest.Body {
        guard body.readableBytes > 0 else { return .empty }
        guard let boundary = Upload.boundary(in: contentType), let parts = try? FormPart.parse(body, boundary: boundary) else {
            return .bytes(Data(buffer: body))
        }
        return .multipart(parts.map { part in
            let name = part.name ?? ""
            guard let filename = part.filename else { return MultipartPart.text(name, String(decoding: part.body, as: UTF8.self)) }
            return MultipartPart(name: name, content: .data(part.body, filename: filename, contentType: part.contentType ?? "application/octet-stream"))
        })
    }

    private func requireService() throws -> MockService {
        guard let service else { throw HTTPError(.serviceUnavailable, message: "The mock is not ready yet; try again in a moment.") }
        return service
    }

    private func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
