import AssetStore
import Foundation
import HeadExtraction
import SharedTier
import Synchronization

/// The misses answered while the shared tier was down, to publish once it is back.
///
/// Each is also marked by an empty file named by its action key in the store's
/// `shared-outbox` folder, so that an answer outlives the process that made it: a CLI run
/// during an outage exits long before the tier is back, and the next manager on that store
/// publishes what it left.
final class Unpublished: Sendable {
    private let keys = Mutex<Set<ContentHash>>([])
    private let store: Store?
    /// The store's `shared-outbox` folder, or `nil` without a store.
    let folder: URL?
    /// The task publishing them now, if any.
    let task = Mutex<Task<Void, Never>?>(nil)
    /// When the manager shut down: the task then ends its pass, for at most ``graceAfterStop``.
    private let stoppedAt = Mutex<ContinuousClock.Instant?>(nil)
    /// How long a pass may go on after a shutdown (what is left stays marked).
    static let graceAfterStop = Duration.seconds(5)

    init(store: Store?) {
        self.store = store
        folder = store?.sharedOutbox
    }

    /// Puts `key` in line, here and in the outbox folder (best effort: without its mark, an
    /// answer is still published while this process runs).
    func add(_ key: ContentHash) {
        keys.withLock { _ = $0.insert(key) }
        guard let folder else { return }
        if mkdir(folder.path, 0o755) != 0, errno != EEXIST { return }
        let descriptor = open(folder.appendingPathComponent(key.hex).path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        if descriptor >= 0 { close(descriptor) }
    }

    /// `key` is published: its mark goes.
    func done(_ key: ContentHash) {
        guard let folder else { return }
        unlink(folder.appendingPathComponent(key.hex).path)
    }

    /// The keys marked in the outbox folder by this or an earlier process, put in line.
    @discardableResult
    func loadMarks() -> Int {
        guard let marked = store?.sharedOutboxMarks() else { return 0 }
        keys.withLock { $0.formUnion(marked) }
        return marked.count
    }

    /// The manager shuts down.
    func stop() {
        stoppedAt.withLock { $0 = $0 ?? .now }
    }

    /// Whether the manager has shut down.
    var isStopped: Bool { stoppedAt.withLock { $0 != nil } }

    /// Whether a pass must end now: shut down longer ago than ``graceAfterStop``.
    var pastGrace: Bool {
        stoppedAt.withLock { $0.map { ContinuousClock.now - $0 >= Self.graceAfterStop } ?? false }
    }

    /// Sleeps `duration` in short steps; `false` as soon as the manager is shut down (a zero
    /// pause is always taken: a pass begun at start runs even if the shutdown came first).
    func pause(_ duration: Duration) async -> Bool {
        guard duration > .zero else { return true }
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            if isStopped { return false }
            try? await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
        }
        return !isStopped
    }

    func takeAll() -> Set<ContentHash> {
        keys.withLock { keys in
            defer { keys.removeAll() }
            return keys
        }
    }

    var isEmpty: Bool { keys.withLock { $0.isEmpty } }
}

/// Where a shared answer's catalog row is written to L1, after its heads: the answer does not
/// wait for the commit. A crash before it loses nothing that cannot be fetched again (the heads
/// are then orphans for gc, the answer is in the tier), and ``AssetManager/flush()`` waits for
/// the rows in line.
let backfillQueue = DispatchQueue(label: "assets.shared.backfill")

extension AssetManager {
    /// Runs `body` (a blocking SQLite commit) on ``backfillQueue``, off the cooperative pool.
    func backfill(_ body: @escaping @Sendable () -> Void) {
        backfillQueue.async(execute: body)
    }

    /// Returns once every back-fill in line is committed.
    func waitForBackfills() {
        backfillQueue.sync {}
    }
}

/// When each answer answered from L1 was last marked used in the shared catalog, so that a
/// hit marks it at most once an hour from this host (the catalog's last-used time is coarse).
final class SharedTouches: Sendable {
    private let times = Mutex<[ContentHash: ContinuousClock.Instant]>([:])
    static let interval: Duration = .seconds(3600)

    /// Whether `key` is due for a mark now; if so, it counts as marked.
    func due(_ key: ContentHash) -> Bool {
        let now = ContinuousClock.now
        return times.withLock { times in
            if let last = times[key], now - last < Self.interval { return false }
            // Bounded: a host answering more photos than this an hour marks some twice.
            if times.count >= 100_000 { times.removeAll(keepingCapacity: true) }
            times[key] = now
            return true
        }
    }
}

extension AssetManager {
    /// Marks an answer given from L1 as used in the shared catalog, in the background and at
    /// most once an hour per answer, so that `cache gc --shared --older-than` sees every host's
    /// use of it. A hit never waits for the tier.
    func touchShared(_ key: ContentHash) {
        guard let shared = configuration.shared, sharedTouches.due(key) else { return }
        Task { [logger] in
            do {
                try await shared.guarded { try await shared.catalog.markUsed(key) }
            } catch {
                logger.debug("could not mark a shared answer used", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The miss path with the shared tier (L2) behind the local store, when one is configured.
    ///
    /// The order: the answer in the shared catalog, its heads fetched from the bucket (each
    /// re-hashed) and stored in L1; else the lease on the key, so that one host of the fleet
    /// pays: the holder runs `local` (the call and its L1 commit) while heartbeating, uploads
    /// the heads, then publishes the answer; the other hosts wait for it (notified, or polling)
    /// and take over a lease whose holder stopped heartbeating.
    ///
    /// While the tier cannot be reached, ``SharedStorage/OutagePolicy`` decides: answer from
    /// this host alone and publish later, or refuse with `SHARED_TIER_UNAVAILABLE`.
    func throughSharedTier(_ key: ContentHash, name: String, store: Store, local: () async throws -> Extraction) async throws -> Extraction {
        guard let shared = configuration.shared else { return try await local() }
        let clock = ContinuousClock()
        let deadline = clock.now + shared.options.maxWait
        let lease: SharedLease
        do {
            claiming: while true {
                if let answer = try await sharedAnswer(key, shared: shared, store: store) {
                    return try answer.get()
                }
                switch try await shared.guarded({ try await shared.catalog.claim(key, ttl: shared.options.leaseTTL) }) {
                case .owned(let owned):
                    // An answer published between the look and the claim.
                    if let answer = try await sharedAnswer(key, shared: shared, store: store) {
                        try? await shared.guarded { try await shared.catalog.release(owned) }
                        return try answer.get()
                    }
                    lease = owned
                    break claiming
                case .held(let host, let expires):
                    guard clock.now < deadline else {
                        throw APIError(
                            code: "SHARED_TIER_UNAVAILABLE", errorClass: .transient,
                            message: "Another host (\(host)) has been extracting \(name) for longer than \(shared.options.maxWait.components.seconds) s; try again later.",
                            httpStatus: 503, retryAfter: .seconds(5)
                        )
                    }
                    let untilExpiry = Duration.milliseconds(Int64(max(0.02, expires.timeIntervalSinceNow) * 1000))
                    await shared.catalog.waitForAnswer(key, upTo: min(shared.options.pollInterval, untilExpiry))
                }
            }
        } catch let error as SharedTierError {
            return try await duringOutage(error, key: key, name: name, shared: shared, store: store, local: local)
        }
        return try await payUnderLease(lease, name: name, shared: shared, store: store, local: local)
    }

    /// The call made by the holder of `lease`, with a heartbeat, then published.
    private func payUnderLease(_ owned: SharedLease, name: String, shared: SharedStorage, store: Store, local: () async throws -> Extraction) async throws -> Extraction {
        let namespace = engine.identity.namespace
        let lease = (try? await shared.guarded { try await shared.catalog.recordCallStart(owned, namespace: namespace) }) ?? owned
        let ttl = shared.options.leaseTTL
        let heartbeat = Task { [logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: ttl / 3)
                guard !Task.isCancelled else { return }
                do {
                    if try await !shared.guarded({ try await shared.catalog.heartbeat(lease, ttl: ttl) }) {
                        logger.warning("the lease on a paid call was taken over by another host", metadata: ["action_key": "\(lease.actionKey.hex)"])
                    }
                } catch {
                    logger.warning("could not extend the lease on a paid call", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { heartbeat.cancel() }
        let extraction: Extraction
        do {
            extraction = try await local()
        } catch let error as APIError where error.errorClass == .content {
            heartbeat.cancel()
            // A refusal of the photo is an answer: the fleet keeps it, as this host does.
            await publish(lease.actionKey, lease: lease, shared: shared, store: store)
            throw error
        } catch {
            heartbeat.cancel()
            // No answer: another host (or the next asker) may try; the ledger keeps the call.
            let made = (error as? APIError).map { !($0.errorClass == .input || $0.code == "SPEND_LIMIT_REACHED") } ?? true
            try? await shared.guarded { try await shared.catalog.release(lease, outcome: made ? .failed : .notMade) }
            throw error
        }
        heartbeat.cancel()
        await publish(lease.actionKey, lease: lease, shared: shared, store: store)
        return extraction
    }

    /// A miss while the tier is down: answered by this host alone (and published later), or
    /// refused, as the policy says. A wrong configuration is never papered over.
    private func duringOutage(_ error: SharedTierError, key: ContentHash, name: String, shared: SharedStorage, store: Store, local: () async throws -> Extraction) async throws -> Extraction {
        guard error.kind == .transient, shared.options.policy == .fallBack else {
            logger.error("the shared tier cannot answer a miss", metadata: ["input": "\(name)", "error": "\(error.message)"])
            throw APIError(error)
        }
        logger.warning("the shared tier is unavailable; answering from this host alone", metadata: ["input": "\(name)", "error": "\(error.message)"])
        let extraction = try await local()
        unpublished.add(key)
        republishLater(shared, store: store)
        return extraction
    }

    /// The shared tier's answer to one of `keys` (the photo as it is, then fitted), looked up
    /// before the photo is prepared (its header decoded, its fitting planned): a host with an
    /// empty store answers a known photo with one query and one GET. `nil` when the tier has
    /// none, or cannot be asked now (the miss path then applies the outage policy).
    func sharedAnswerBeforePreparing(_ keys: [ContentHash], store: Store) async throws -> Result<Extraction, APIError>? {
        guard let shared = configuration.shared, shared.options.breaker.current != .open else { return nil }
        for key in keys {
            do {
                if let answer = try await sharedAnswer(key, shared: shared, store: store) { return answer }
            } catch is SharedTierError {
                return nil
            }
        }
        return nil
    }

    /// The shared answer to `key`, stored in L1 and counted as a hit, or `nil` when the tier
    /// has none it can give (no row, or an object gone or corrupt: then the row is removed, so
    /// that the next payer publishes a whole answer).
    private func sharedAnswer(_ key: ContentHash, shared: SharedStorage, store: Store) async throws -> Result<Extraction, APIError>? {
        guard let entry = try await shared.guarded({ try await shared.catalog.entry(for: key) }) else { return nil }
        let saved = entry.state == .ok && Self.charges(namespace: entry.identity.namespace)
        let answer: Result<Extraction, APIError>
        switch entry.state {
        case .failed:
            let code = entry.errorCode ?? "ERROR_NO_FACE_IN_FILE"
            let message = entry.errorMessage ?? "The API could not extract a head from this photo."
            try store.catalog.recordFailure(entry.identity, code: code, message: message, requestID: entry.requestID, logID: nil)
            answer = .failure(APIError(code: code, errorClass: .content, message: message, requestID: entry.requestID, httpStatus: ErrorCodeTable.status(for: code)))
        case .ok:
            let heads: [ContentHash: Data]
            do {
                // A head in L1 is used only if intact: one left unsynced by a power cut may be torn.
                let present = { (hash: ContentHash) in store.blobs.check(hash, size: nil) == .intact }
                guard let found = try await shared.guarded({ try await shared.heads(of: entry, except: present) }) else {
                    logger.error("a shared answer's head is missing from the bucket; it is removed and paid for again", metadata: ["action_key": "\(key.hex)"])
                    try await shared.guarded { try await shared.catalog.remove(key) }
                    return nil
                }
                heads = found
            } catch let error as SharedTierError where error.kind == .corrupt {
                logger.error("a shared answer's head in the bucket is corrupt; it was deleted and the answer is paid for again", metadata: ["action_key": "\(key.hex)", "error": "\(error.message)"])
                try await shared.guarded { try await shared.catalog.remove(key) }
                return nil
            }
            // The heads are in L1 (written and renamed) before the answer. Their fsyncs, then the
            // catalog row, follow on a queue of its own (see ``backfillQueue``): the bucket keeps
            // the answer meanwhile, and a row never points at a head not yet on disk.
            var placed: [Int: (hash: ContentHash, size: Int64)] = [:]
            for element in entry.elements {
                placed[element.position] = try heads[element.blobKey].map { try store.blobs.putUnsynced($0) } ?? (element.blobKey, element.blobSize)
            }
            let identity = entry.identity
            let requestID = entry.requestID
            let elements = entry.elements
            let blobs = placed
            backfill { [logger] in
                do {
                    for hash in Set(blobs.values.map(\.hash)) { try store.blobs.sync(hash) }
                    try store.catalog.recordComplete(
                        identity, requestID: requestID, logID: nil,
                        elements: elements.map { CatalogEntry.Element(position: $0.position, width: $0.width, height: $0.height, x: $0.x, y: $0.y) },
                        placeBlobs: { blobs }
                    )
                } catch {
                    logger.warning("could not store a shared answer in the local store; the next asker fetches it again", metadata: ["action_key": "\(identity.actionKey.hex)", "error": "\(error)"])
                }
            }
            answer = .success(Extraction(
                inputSHA256: identity.inputKey, cache: .hit, requestID: requestID,
                elements: elements.map { Extraction.Element(sha256: $0.blobKey, fileURL: store.blobs.url(for: $0.blobKey), width: $0.width, height: $0.height, x: $0.x, y: $0.y) },
                fitted: identity.fitted
            ))
        }
        try store.recordHit(key, savedCredit: saved)
        tally.hit(savedCredit: saved)
        tally.sharedHit()
        // Counted in the background: the answer does not wait for a write it does not need.
        Task { [logger] in
            do {
                try await shared.guarded { try await shared.catalog.recordSharedHit(key) }
            } catch {
                logger.debug("could not count a shared hit", metadata: ["error": "\(error)"])
            }
        }
        return answer
    }

    /// Publishes L1's answer to `key`: its heads uploaded first, then the row (and the lease
    /// released, its call ended in the ledger). A failure leaves it for later.
    private func publish(_ key: ContentHash, lease: SharedLease?, shared: SharedStorage, store: Store) async {
        do {
            try await publishEntry(key, lease: lease, shared: shared, store: store)
        } catch {
            // Waiters elsewhere need not wait out the lease for an answer that is not coming.
            if let lease { try? await shared.guarded { try await shared.catalog.release(lease, outcome: .answered) } }
            logger.warning("could not publish an answer to the shared tier; it is published when the tier is back", metadata: ["action_key": "\(key.hex)", "error": "\(error)"])
            unpublished.add(key)
            republishLater(shared, store: store)
        }
    }

    private func publishEntry(_ key: ContentHash, lease: SharedLease?, shared: SharedStorage, store: Store) async throws {
        do {
            guard let entry = try store.catalog.entry(for: key), entry.state != .pending else {
                if let lease { try? await shared.guarded { try await shared.catalog.release(lease, outcome: .failed) } }
                return
            }
            var elements: [SharedEntry.Element] = []
            for element in entry.elements {
                guard let blobKey = element.blobKey else { return }
                let data = try BlobStore.readRegularFile(at: store.blobs.url(for: blobKey))
                try await shared.guarded { _ = try await shared.bucket.put(sha256: blobKey, data: data) }
                elements.append(SharedEntry.Element(position: element.position, blobKey: blobKey, blobSize: Int64(data.count), width: element.width, height: element.height, x: element.x, y: element.y))
            }
            var identity = ExtractionIdentity(
                actionKey: entry.actionKey, inputKey: entry.inputKey, operation: entry.operation, options: entry.options,
                namespace: entry.namespace, inputSize: entry.inputSize, fitted: entry.fitted
            )
            identity.fitted = entry.fitted
            let shareable = SharedEntry(
                identity: identity, state: entry.state == .ok ? .ok : .failed, errorCode: entry.errorCode,
                errorMessage: entry.errorMessage, requestID: entry.requestID, elements: elements, host: shared.catalog.host
            )
            _ = try await shared.guarded { try await shared.catalog.publish(shareable, releasing: lease) }
        }
    }

    /// Publishes the answers made while the tier was down, in a background task that tries
    /// every few seconds until none is left (or the manager shuts down).
    ///
    /// - Parameter immediately: try once at once (the answers an earlier process left), then
    ///   every few seconds.
    func republishLater(_ shared: SharedStorage, store: Store, immediately: Bool = false) {
        unpublished.task.withLock { running in
            guard running == nil, !unpublished.isEmpty, !unpublished.isStopped else { return }
            running = Task {
                var pause = immediately ? Duration.zero : shared.options.breaker.cooldown
                while !unpublished.isEmpty {
                    guard await unpublished.pause(pause) else { break }
                    pause = shared.options.breaker.cooldown
                    guard shared.options.breaker.current != .open else { continue }
                    for key in unpublished.takeAll() {
                        // Long after a shutdown, the rest stay marked for the next manager on this store.
                        if unpublished.pastGrace { unpublished.add(key); continue }
                        await publishQuietly(key, shared: shared, store: store)
                    }
                }
                unpublished.task.withLock { $0 = nil }
                // A key added between the last look and the reset: start again.
                if !unpublished.isEmpty, !unpublished.isStopped { republishLater(shared, store: store) }
            }
        }
    }

    /// Waits for the publishing task, if any, once a shutdown has told it to stop: it ends its
    /// pass (for ``Unpublished/graceAfterStop`` at most) or its pause at once.
    func waitForRepublishing() async {
        await unpublished.task.withLock { $0 }?.value
    }

    /// ``publish(_:lease:shared:store:)`` of an answer made during an outage; a failure puts it
    /// back in line without starting another task.
    private func publishQuietly(_ key: ContentHash, shared: SharedStorage, store: Store) async {
        do {
            try await publishEntry(key, lease: nil, shared: shared, store: store)
            unpublished.done(key)
            logger.info("published an answer made while the shared tier was down", metadata: ["action_key": "\(key.hex)"])
        } catch {
            unpublished.add(key)
        }
    }

    /// A blob any host of the fleet stored: from L1, else from the bucket (re-hashed, then kept
    /// in L1), or `nil` when neither has it. `serve`'s `/blobs` route answers with it, so that
    /// one server's result URL works on every server.
    public func blobFile(_ hash: ContentHash) async throws(APIError) -> URL? {
        guard let store else { return nil }
        if store.blobs.contains(hash) { return store.blobs.url(for: hash) }
        guard let shared = configuration.shared else { return nil }
        do {
            guard let data = try await shared.guarded({ try await shared.bucket.get(sha256: hash) }) else { return nil }
            _ = try store.blobs.put(data)
            return store.blobs.url(for: hash)
        } catch let error as SharedTierError where error.kind == .corrupt {
            try? await shared.bucket.delete(sha256: hash)
            logger.error("a blob in the bucket is corrupt; it was deleted", metadata: ["sha256": "\(hash.hex)"])
            return nil
        } catch let error as SharedTierError {
            throw APIError(error)
        } catch let error as StoreError {
            throw APIError(error)
        } catch {
            throw APIError(code: "INTERNAL_ERROR", errorClass: .internal, message: "Reading blob \(hash.hex) failed: \(error).")
        }
    }
}

extension APIError {
    /// A shared tier's failure as an answer: `SHARED_TIER_UNAVAILABLE` (503, try again) while
    /// it cannot be reached, `SHARED_TIER_CONFIGURATION` (500) when it is set up wrong.
    ///
    /// The outage's message names no server (clients of `serve` read it); the manager logs the
    /// whole of it for the operator.
    public init(_ error: SharedTierError) {
        switch error.kind {
        case .transient:
            self.init(
                code: "SHARED_TIER_UNAVAILABLE", errorClass: .transient,
                message: "The shared cache of this service cannot be reached, so no new photo is extracted for now; try again in a few seconds.",
                httpStatus: 503, retryAfter: .seconds(5)
            )
        case .configuration:
            self.init(code: "SHARED_TIER_CONFIGURATION", errorClass: .internal, message: error.message, httpStatus: 500)
        case .corrupt, .invalidArgument:
            self.init(code: error.code, errorClass: .internal, message: error.message, httpStatus: 500)
        }
    }
}
