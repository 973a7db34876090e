import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Logging
import Metrics
import SharedTier

/// The library entry point: extracts heads, answering repeats from the store.
///
/// ```swift
/// let store = try Store(at: StoreLocation.resolve(explicit: nil))
/// let backend = try BackendRegistry.standard.make("remote", configuration: BackendConfiguration(apiKey: key))
/// let manager = AssetManager(store: store, backend: backend)
/// let extraction = try await manager.extract(.file(URL(fileURLWithPath: "photo.jpg")))
/// for head in extraction.elements { print(head.fileURL.path, head.x, head.y) }
/// ```
///
/// The flow of one extraction: probe, action key, catalog lookup, single-flight, the call
/// through the backend, commit of the API's answer, downloads of every result at once, blob
/// storage, commit, answer. The answer is committed before the downloads, so a crash after the
/// API answered costs no second call: the next run resumes the downloads while the URLs live.
///
/// - Important: `AssetManager` is `Sendable`: share one among every request of a web backend.
///   Concurrent callers of one photo share one upstream call, also across processes that
///   share a store.
public final class AssetManager: Sendable {
    /// The store, or `nil` for a manager that never caches.
    public let store: Store?
    /// What answers the misses.
    public let engine: any ExtractionEngine
    /// The API backend the engine talks to, when it is the API (or the mock through it).
    public var backend: Backend? { (engine as? APIEngine)?.backend }
    public let configuration: AssetManagerConfiguration
    /// Holds the engine to ``EngineLimits/maxConcurrentCalls``, in batches and in `serve`.
    let engineCalls: CallLimiter
    let flights = FlightTable()
    let tally: Tally
    let recent = RecentEntries()
    /// Bounds the misses in flight and in line; see ``AssetManagerConfiguration/maxConcurrentMisses``.
    let misses: CallLimiter
    /// Counts the engine calls against ``AssetManagerConfiguration/spendLimit``.
    let spend: SpendGuard
    /// Answers made while the shared tier was down, to publish once it is back (marked in the
    /// store, so that the next manager on it publishes what this one could not).
    let unpublished: Unpublished
    /// When this host last told the shared tier that an answer is in use.
    let sharedTouches = SharedTouches()

    /// A manager whose misses go to `engine`.
    public init(store: Store?, engine: any ExtractionEngine, configuration: AssetManagerConfiguration = AssetManagerConfiguration()) {
        self.store = store
        self.engine = engine
        self.configuration = configuration
        misses = CallLimiter(permits: configuration.maxConcurrentMisses, maxWaiting: configuration.maxQueuedMisses)
        engineCalls = CallLimiter(permits: engine.limits.maxConcurrentCalls)
        spend = SpendGuard(configuration.spendLimit)
        tally = Tally(metrics: configuration.metrics ?? MetricsSystem.factory)
        unpublished = Unpublished(store: store)
        if let shared = configuration.shared, let store, unpublished.loadMarks() > 0 {
            republishLater(shared, store: store, immediately: true)
        }
    }

    /// Where this manager logs (``AssetManagerConfiguration/logger``).
    var logger: Logger { configuration.logger }

    /// A manager whose misses go to the API (or the mock) through `backend`, retried and timed
    /// out as `configuration` says.
    public convenience init(store: Store?, backend: Backend, configuration: AssetManagerConfiguration = AssetManagerConfiguration()) {
        self.init(store: store, engine: APIEngine(backend: backend, retryPolicy: configuration.retryPolicy, transport: configuration.transport), configuration: configuration)
    }

    /// Extracts the heads of one photo.
    ///
    /// - Parameters:
    ///   - image: the photo, a file or bytes.
    ///   - options: the API's options (`return_form`), and whether to use the cache.
    /// - Returns: the elements, each with its PNG on disk.
    /// - Throws: `APIError`: one sentence, a stable code and a class. A bad input costs no
    ///   API call. Content errors (no face) are cached, so a repeat costs nothing.
    public func extract(_ image: ImageSource, options: ExtractOptions = .default) async throws(APIError) -> Extraction {
        do {
            let extraction = try await extractClassified(image, options: options)
            var metadata: Logger.Metadata = ["input": "\(image.displayName)", "sha256": "\(extraction.inputSHA256.hex)", "heads": "\(extraction.elements.count)"]
            if extraction.cache == .hit {
                logger.debug("hit", metadata: metadata)
            } else {
                metadata["engine"] = "\(engine.identity.name)"
                if let requestID = extraction.requestID { metadata["request_id"] = "\(requestID)" }
                logger.info("miss", metadata: metadata)
            }
            return extraction
        } catch {
            let metadata: Logger.Metadata = ["input": "\(image.displayName)", "code": "\(error.code)", "class": "\(error.errorClass.rawValue)", "message": "\(error.message)"]
            switch error.errorClass {
            case .input, .content: logger.info("refused", metadata: metadata)
            case .transient, .credits, .auth, .internal: logger.warning("failed", metadata: metadata)
            }
            throw error
        }
    }

    /// ``extract(_:options:)`` with every failure made an `APIError`.
    private func extractClassified(_ image: ImageSource, options: ExtractOptions) async throws(APIError) -> Extraction {
        do {
            return try await extractUntyped(image, options: options)
        } catch let error as APIError {
            throw error
        } catch let error as StoreError where error.kind == .tooManyOpenFiles {
            // A passing shortage (a flood of connections or misses): worth a retry, not a bug.
            throw APIError(
                code: "ERROR_INSUFFICIENT_RESOURCES", errorClass: .transient,
                message: "The process is out of open files for now; try \(image.displayName) again in a few seconds.",
                httpStatus: 503, retryAfter: .seconds(2)
            )
        } catch let error as StoreError {
            throw APIError(error)
        } catch let error as SharedTierError {
            throw APIError(error)
        } catch is CancellationError {
            throw APIError.cancelled(image.displayName)
        } catch {
            throw APIError(code: "INTERNAL_ERROR", errorClass: .internal, message: "The extraction of \(image.displayName) failed: \(error).")
        }
    }

    /// Writes hit bookkeeping held in memory to the store. Call before the process exits.
    public func flush() {
        if configuration.shared != nil { waitForBackfills() }
        try? store?.flushHits()
    }

    /// Flushes the bookkeeping and stops the engine's processes (a plugin's). The manager may
    /// be used again afterwards: the engine starts anew on its next miss.
    public func shutdown() async {
        unpublished.stop()
        // The pass under way, for a few seconds at most: the rest stay marked in the store.
        await waitForRepublishing()
        flush()
        await engine.shutdown()
    }

    /// The account's credit balances, from `GET /api/common/query-credits`.
    ///
    /// - Throws: `APIError`; `NO_CREDITS` (class `input`) for an engine that uses no credits.
    public func credits() async throws(APIError) -> [CreditBalance] {
        try await engine.credits()
    }

    private func extractUntyped(_ image: ImageSource, options: ExtractOptions) async throws -> Extraction {
        // A photo to fit may be larger than the engine takes; one never fitted is read only to
        // one byte past the engine's limit.
        let readLimit = options.fit == .auto ? Self.largestUpload : (engine.limits.maxBytes ?? Self.largestUpload)
        let bytes = try image.load(limit: readLimit)
        let inputKey = ContentHash.of(bytes)
        guard options.useCache, let store else {
            let preparation = try prepare(bytes, name: image.displayName, options: options)
            return try await withMissPermit(image) {
                switch preparation {
                case .asIs(let probe):
                    try await fetchUncached(image, bytes: bytes, inputKey: inputKey, probe: probe, options: options.api)
                case .fit(let header):
                    try await fetchFittedUncached(image, bytes: bytes, inputKey: inputKey, header: header, options: options)
                }
            }
        }
        let namespace = engine.identity.namespace
        let actionKey = ActionKey.make(input: inputKey, options: options.api, namespace: namespace)

        // The hit path: a hash and a lookup or two (the photo as it is, then fitted). Only
        // checked bytes are ever stored, so a stored answer needs no second look at the photo.
        if let answer = try storedAnswer(for: actionKey, in: store) {
            touchShared(actionKey)
            return try answer.get()
        }
        let fittedKey = fittedActionKey(input: inputKey, options: options)
        if options.fit == .auto, let answer = try storedAnswer(for: fittedKey, in: store) {
            touchShared(fittedKey)
            return try answer.get()
        }

        if let answer = try await sharedAnswerBeforePreparing(options.fit == .auto ? [actionKey, fittedKey] : [actionKey], store: store) {
            return try answer.get()
        }

        let preparation = try prepare(bytes, name: image.displayName, options: options)
        let key: ContentHash
        switch preparation {
        case .asIs: key = actionKey
        case .fit: key = fittedKey
        }
        let identity = ExtractionIdentity(
            actionKey: key, inputKey: inputKey, operation: ActionKey.operation,
            options: options.api.canonicalString, namespace: namespace, inputSize: Int64(bytes.count)
        )
        let (extraction, leader) = try await flights.run(key) { [self] in
            try await withMissPermit(image) {
                try await throughSharedTier(key, name: image.displayName, store: store) {
                    switch preparation {
                    case .asIs(let probe):
                        try await fetchShared(image, bytes: bytes, identity: identity, probe: probe, options: options.api, store: store)
                    case .fit(let header):
                        try await fetchFitted(image, bytes: bytes, header: header, identity: identity, options: options, store: store)
                    }
                }
            }
        }
        if leader { return extraction }
        // A shared call saved a credit only if the engine charges for one.
        let saved = Self.charges(namespace: namespace)
        try store.recordHit(key, savedCredit: saved)
        tally.hit(savedCredit: saved)
        var shared = extraction
        shared.cache = .hit
        return shared
    }

    /// Checks an upload against the engine's limits: the API's for the API and the mock, what a
    /// plugin declared for a plugin.
    func probe(_ bytes: Data, name: String) throws(APIError) -> ProbedImage {
        let limits = uploadLimits
        if limits == .api { return try ImageProbe.probe(bytes, name: name) }
        return try ImageProbe.probe(bytes, name: name, limits: limits)
    }

    /// What the engine accepts, named for messages: the API's limits, or a plugin's (with at
    /// most ``largestUpload`` bytes where it sets no byte limit).
    var uploadLimits: ImageProbe.Limits {
        var limits = engine.limits.probeLimits(accepter: "the API")
        if limits == .api { return limits }
        limits.accepter = "the \(engine.identity.name) backend"
        limits.maxBytes = limits.maxBytes ?? Self.largestUpload
        return limits
    }

    /// Whether answers in `namespace` cost a credit each: those of the real API (remote, record
    /// and replay), not the mock's or a plugin's. Only their hits count as credits saved.
    static func charges(namespace: String) -> Bool {
        namespace == Backend.realNamespace
    }

    /// The largest photo read for an engine that sets no byte limit: 256 MiB.
    public static let largestUpload = 268_435_456

    /// Runs one miss within ``misses``: it waits in line while the permits are taken, and is
    /// refused with `ERROR_INSUFFICIENT_RESOURCES` (503) when the line is full too.
    private func withMissPermit<T>(_ image: ImageSource, _ body: () async throws -> T) async throws -> T {
        do {
            return try await misses.withPermit(body)
        } catch is CallLimiter.Full {
            throw APIError(
                code: "ERROR_INSUFFICIENT_RESOURCES", errorClass: .transient,
                message: "Too many new photos are being extracted at once (\(configuration.maxConcurrentMisses) running, \(configuration.maxQueuedMisses) waiting); try \(image.displayName) again in a few seconds.",
                httpStatus: 503, retryAfter: .seconds(2)
            )
        }
    }

    /// Misses waiting for a permit now (see ``AssetManagerConfiguration/maxConcurrentMisses``).
    public var queuedMisses: Int { misses.waiting }

    /// The stored answer to `actionKey`, counted as a hit, or `nil`: from the entries answered
    /// recently (see ``RecentEntries``), else from the catalog.
    private func storedAnswer(for actionKey: ContentHash, in store: Store) throws -> Result<Extraction, APIError>? {
        if let entry = recent.entry(for: actionKey, in: store.catalog) {
            if let answer = try answerFromStore(entry, in: store) { return answer }
            recent.forget(actionKey)
        }
        // Read the count first: a removal during the read then keeps the entry out of memory.
        let removals = store.catalog.removalCount
        guard let entry = try store.catalog.entry(for: actionKey), let answer = try answerFromStore(entry, in: store) else {
            return nil
        }
        recent.remember(entry, readAfter: removals)
        return answer
    }

    /// A stored answer, counted as a hit: the extraction, or the stored refusal. `nil` when the
    /// entry cannot answer (pending, or a blob file is gone).
    func answerFromStore(_ entry: CatalogEntry, in store: Store) throws -> Result<Extraction, APIError>? {
        switch entry.state {
        case .ok:
            let elements = entry.elements.compactMap { element -> Extraction.Element? in
                guard let key = element.blobKey, store.blobs.contains(key) else { return nil }
                return Extraction.Element(sha256: key, fileURL: store.blobs.url(for: key), width: element.width, height: element.height, x: element.x, y: element.y)
            }
            guard elements.count == entry.elements.count else { return nil }
            let saved = Self.charges(namespace: entry.namespace)
            try store.recordHit(entry.actionKey, savedCredit: saved)
            tally.hit(savedCredit: saved)
            return .success(Extraction(inputSHA256: entry.inputKey, cache: .hit, requestID: entry.requestID, elements: elements, fitted: entry.fitted))
        case .failed:
            try store.recordHit(entry.actionKey, savedCredit: false)
            tally.hit(savedCredit: false)
            let code = entry.errorCode ?? "ERROR_NO_FACE_IN_FILE"
            return .failure(APIError(
                code: code, errorClass: .content, message: entry.errorMessage ?? "The API could not extract a head from this photo.",
                requestID: entry.requestID, httpStatus: ErrorCodeTable.status(for: code)
            ))
        case .pending:
            return nil
        }
    }
}
