import Assets
import AssetStore
import HeadExtraction
import Hummingbird

/// Adds the drop-in API endpoint and the blob route to an existing Hummingbird router.
///
/// ```swift
/// import Assets
/// import AssetsServer
/// import Hummingbird
///
/// let store = try Store(at: URL(fileURLWithPath: "/var/cache/assets"))
/// let backend = try BackendRegistry.standard.make("remote", configuration: BackendConfiguration(apiKey: key))
/// let manager = AssetManager(store: store, backend: backend)
///
/// let router = Router()
/// addAssetRoutes(
///     to: router.group("heads"), manager: manager,
///     configuration: AssetsServerConfiguration(clientKeys: ClientKeys(["client1"]))
/// )
/// // POST /heads/api/cutout/portrait/avatar-extraction  (the API's contract, cached)
/// // GET  /heads/blobs/<sha256>.png                       (permanent result URLs)
/// let app = Application(router: router)
/// try await app.runService()
/// ```
///
/// The extraction route answers exactly as the API does (same multipart form, same envelope,
/// same statuses), after checking the client's key; its `image_url`s point at the blob route.
/// Repeats are answered from the store and concurrent identical uploads share one upstream call.
///
/// - Parameters:
///   - router: a `Router` or a `RouterGroup`; the routes are added under its path.
///   - manager: shared by every request. It needs a store, which the blob route serves from:
///     with `store: nil` every extraction is answered 500 `STORE_REQUIRED` (and logged), and
///     nothing is called upstream.
///   - configuration: who may call (client keys, or `authentication: .none`), the public
///     base URL, the body cap.
///   - metrics: where to count hits, misses, errors and latencies, if anywhere.
/// - Important: With a `publicURL` under a group, include the group's path in it.
public func addAssetRoutes<Context: RequestContext>(
    to router: some RouterMethods<Context>,
    manager: AssetManager,
    configuration: AssetsServerConfiguration,
    metrics: ServerMetrics? = nil
) {
    addAssetRoutes(to: router, manager: manager, configuration: configuration, metrics: metrics, boundAddress: nil)
}

func addAssetRoutes<Context: RequestContext>(
    to router: some RouterMethods<Context>,
    manager: AssetManager,
    configuration: AssetsServerConfiguration,
    metrics: ServerMetrics?,
    boundAddress: BoundAddress?
) {
    let extraction = ExtractionRoute(manager: manager, configuration: configuration, metrics: metrics, boundAddress: boundAddress)
    let group = router.group()
    if case .keys(let keys) = configuration.authentication {
        group.add(middleware: ClientKeyMiddleware(keys: keys, metrics: metrics))
    }
    group.post(RouterPath(HeadExtractionAPI.extractionPath)) { request, context in
        try await extraction.respond(to: request, context: context)
    }
    if let store = manager.store {
        let fetch: (@Sendable (ContentHash) async -> Void)? = manager.configuration.shared == nil ? nil : { @Sendable hash in
            _ = try? await manager.blobFile(hash)
        }
        let blobs = BlobRoute(blobs: store.blobs, fetch: fetch)
        router.get("blobs/:name") { request, context in
            try await blobs.respond(to: request, context: context)
        }
    }
}

/// `GET /healthz` and `GET /metrics`, for a server's operators.
///
/// - Parameters:
///   - metrics: exported in the Prometheus text format, the manager's counters among them
///     when it was made with `metrics.factory` (``Assets/AssetManagerConfiguration/metrics``).
public func addOperationRoutes<Context: RequestContext>(to router: some RouterMethods<Context>, metrics: ServerMetrics) {
    router.get("healthz") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
    }
    router.get("metrics") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let text = metrics.exposition()
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
    }
}
