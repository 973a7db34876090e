import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Synchronization

extension AssetManager {
    /// The miss path, run once per action key in this process, under the key's file lock so
    /// that it also runs once across processes sharing the store.
    func fetchShared(_ image: ImageSource, bytes: Data, identity: ExtractionIdentity, probe: ProbedImage, options: APIOptions, store: Store) async throws -> Extraction {
        let lock = try FileLock(url: store.locksFolder.appendingPathComponent(identity.actionKey.hex + ".lock"))
        try await lock.lockAsync()
        defer { lock.release() }

        // Another process may have answered while this one waited for the lock.
        if let entry = try store.catalog.entry(for: identity.actionKey) {
            if let answer = try answerFromStore(entry, in: store) {
                return try answer.get()
            }
            if entry.state == .pending, Date().timeIntervalSince(entry.createdAt) < configuration.resultURLLifetime {
                do {
                    return try await downloadOrForget(entry, store: store)
                } catch let error as APIError where error.code == "RESULT_EXPIRED" {
                    // The URLs died early: only now is a second call worth its credit.
                }
            }
        }

        // A call's permit (within a batch) is held until its answer is committed, so that a
        // crash loses at most `jobs` answers that were paid for: with paid calls taking a
        // second or more, the few milliseconds of the commit cost the batch next to nothing.
        let stored = try await withCallPermit { () async throws -> Stored in
            try store.catalog.increment([.misses: 1])
            try spend.take(for: image.displayName, store: store)
            let retries = RetryCount()
            // A Result, not a `do throws(APIError)` block: see `outcome(of:options:)`.
            let outcome = await callOutcome(bytes, probe: probe, name: image.displayName, options: options, onRetry: retryCounter(retries, name: image.displayName))
            let retried = retries.value
            tally.call(retries: retried)
            try store.catalog.increment([.upstreamCalls: 1 + retried, .retries: retried])
            let answer: EngineAnswer
            switch outcome {
            case .success(let value):
                answer = value
            case .failure(let error):
                if error.errorClass == .content {
                    try store.catalog.recordFailure(identity, code: error.code, message: error.message, requestID: error.requestID, logID: nil)
                }
                throw error
            }
            defer { if let scratch = answer.scratch { try? FileManager.default.removeItem(at: scratch) } }
            if let images = try Self.resultImages(answer, probe: probe, options: options, engine: engine.identity.name) {
                return .complete(try storeImages(images, answer: answer, identity: identity, store: store))
            }
            return .pending(try store.catalog.recordPending(
                identity, requestID: redacted(answer.requestID), logID: redacted(answer.logID),
                elements: answer.elements.enumerated().map { position, element in
                    let source: String? = if case .url(let url) = element.result { url.absoluteString } else { nil }
                    return CatalogEntry.Element(position: position, sourceURL: source, width: element.width, height: element.height, x: element.x, y: element.y)
                },
                placeResponse: { try answer.rawBody.map { try store.blobs.put(redacted($0)) } }
            ))
        }
        switch stored {
        case .pending(let entry):
            return try await downloadOrForget(entry, store: store)
        case .complete(let extraction):
            return extraction
        }
    }

    /// What a miss committed: an answer whose results are still to download, or one complete.
    private enum Stored {
        case pending(CatalogEntry)
        case complete(Extraction)
    }

    /// The bytes of an answer's result files, read once and checked, or `nil` when its results
    /// are URLs to download.
    ///
    /// Each file must be a PNG of the element's stated size, RGBA for a cutout and grey for a
    /// mask, and each box must lie inside the photo; else the whole answer is
    /// `PLUGIN_BAD_RESULT` and nothing of it is stored.
    static func resultImages(_ answer: EngineAnswer, probe: ProbedImage, options: APIOptions, engine: String) throws(APIError) -> [Data]? {
        var images: [Data] = []
        for (position, element) in answer.elements.enumerated() {
            if case .url = element.result {
                guard images.isEmpty else { throw badResult(engine, "mixes result files and URLs") }
                return nil
            }
            func fail(_ reason: String) -> APIError { badResult(engine, "gave result \(position + 1) \(reason)") }
            guard element.width > 0, element.height > 0, element.x >= 0, element.y >= 0,
                  element.x + element.width <= probe.width, element.y + element.height <= probe.height else {
                throw fail("a box (\(element.width)x\(element.height) at \(element.x),\(element.y)) that leaves the \(probe.width)x\(probe.height) photo")
            }
            let data: Data
            switch element.result {
            case .png(let bytes):
                data = bytes
            case .file(let file):
                do {
                    data = try BlobStore.readRegularFile(at: file)
                } catch {
                    throw fail("as a file that cannot be read")
                }
            case .url:
                throw badResult(engine, "mixes result files and URLs")
            }
            guard let info = try? PNGCodec.decodeInfo(data) else { throw fail("as a file that is not a PNG") }
            guard info.width == element.width, info.height == element.height else {
                throw fail("as a \(info.width)x\(info.height) PNG where it said \(element.width)x\(element.height)")
            }
            let wanted = options.returnForm == .mask ? 1 : 4
            guard info.channels == wanted else {
                throw fail("as a \(info.channels)-channel PNG where \(options.returnForm == .mask ? "a grey mask" : "an RGBA cutout") is due")
            }
            images.append(data)
        }
        return images
    }

    private static func badResult(_ engine: String, _ what: String) -> APIError {
        APIError(code: "PLUGIN_BAD_RESULT", errorClass: .internal, message: "The \(engine) backend \(what); nothing of its answer was stored. Report it to the backend's author.")
    }

    /// Stores an answer whose results were files (read by ``resultImages(_:probe:options:engine:)``):
    /// the entry, its elements and its blobs in one transaction.
    private func storeImages(_ images: [Data], answer: EngineAnswer, identity: ExtractionIdentity, store: Store) throws -> Extraction {
        let completed = try store.catalog.recordComplete(
            identity, requestID: redacted(answer.requestID), logID: redacted(answer.logID),
            elements: answer.elements.enumerated().map { position, element in
                CatalogEntry.Element(position: position, sourceURL: nil, width: element.width, height: element.height, x: element.x, y: element.y)
            },
            placeResponse: { try answer.rawBody.map { try store.blobs.put(redacted($0)) } },
            placeBlobs: {
                var placed: [Int: (hash: ContentHash, size: Int64)] = [:]
                for (position, image) in images.enumerated() {
                    placed[position] = try store.blobs.put(image)
                }
                return placed
            }
        )
        return Extraction(completed, cache: .miss, in: store)
    }

    /// The key never rests on disk, even if the API were to echo it in its answer.
    func redacted(_ text: String?) -> String? {
        text.map { Redaction.redact($0, secrets: [engine.secret]) }
    }

    func redacted(_ body: Data) -> Data {
        Redaction.redact(body, secrets: [engine.secret])
    }

    /// One engine call, with its retries, within the engine's own call limit.
    private func call(_ bytes: Data, probe: ProbedImage, name: String, options: APIOptions, onRetry: @escaping @Sendable () -> Void) async throws -> EngineAnswer {
        let request = EngineRequest(
            bytes: bytes, sha256: ContentHash.of(bytes), probe: probe, name: name, options: options,
            timeout: configuration.transport.requestTimeout, onRetry: onRetry
        )
        return try await engineCalls.withPermit { () async throws -> EngineAnswer in
            try await engine.extract(request)
        }
    }

    /// ``call(_:probe:name:options:onRetry:)`` as a value.
    func callOutcome(_ bytes: Data, probe: ProbedImage, name: String, options: APIOptions, onRetry: @escaping @Sendable () -> Void) async -> Result<EngineAnswer, APIError> {
        do {
            return .success(try await call(bytes, probe: probe, name: name, options: options, onRetry: onRetry))
        } catch let error as APIError {
            return .failure(error)
        } catch is CancellationError {
            return .failure(APIError.cancelled(name))
        } catch {
            return .failure(APIError(code: "INTERNAL_ERROR", errorClass: .internal, message: "The extraction of \(name) failed: \(error)."))
        }
    }

    /// What an engine calls before each retry: counts it in `retries` and logs it.
    func retryCounter(_ retries: RetryCount, name: String) -> @Sendable () -> Void {
        { [logger, engine = engine.identity.name] in
            let attempt = retries.add() + 1
            logger.warning("retrying a transient failure", metadata: ["input": "\(name)", "engine": "\(engine)", "attempt": "\(attempt)"])
        }
    }

    /// Runs `body` within the batch's call limit, if there is one.
    func withCallPermit<T>(_ body: () async throws -> T) async throws -> T {
        guard let limiter = CallLimiter.current else { return try await body() }
        return try await limiter.withPermit(body)
    }

    /// Downloads a pending entry's results. A pending answer is kept only while its downloads
    /// may still succeed (a connection dropped, a crash): one whose URLs are dead, or whose
    /// results can never be stored (too large, not a PNG), is removed, so nothing useless stays.
    private func downloadOrForget(_ entry: CatalogEntry, store: Store) async throws -> Extraction {
        do {
            return try await downloadAndComplete(entry, store: store)
        } catch let error as APIError where error.errorClass != .transient || ["RESULT_EXPIRED", "RESULT_NOT_PNG"].contains(error.code) {
            try store.catalog.remove(entry.actionKey)
            throw error
        }
    }

    /// Downloads every result of a pending entry at once, stores the blobs and commits.
    func downloadAndComplete(_ entry: CatalogEntry, store: Store) async throws -> Extraction {
        let files = try await downloadAll(entry.elements.map { ($0.position, $0.sourceURL) }, into: store.temporaryFolder)
        defer { for file in files.values { try? FileManager.default.removeItem(at: file) } }
        var downloaded: Int64 = 0
        let completed = try store.catalog.complete(entry.actionKey) {
            var placed: [Int: (hash: ContentHash, size: Int64)] = [:]
            for (position, file) in files {
                let blob = try store.blobs.put(fileAt: file)
                placed[position] = blob
                downloaded += blob.size
            }
            return placed
        }
        try store.catalog.increment([.bytesDownloaded: downloaded])
        return Extraction(completed, cache: .miss, in: store)
    }

    /// Downloads each result URL into `folder` at once. On any failure, every file is removed.
    func downloadAll(_ sources: [(position: Int, url: String?)], into folder: URL) async throws -> [Int: URL] {
        let limit = configuration.transport.maxDownloadBytes
        let engine = engine
        var files: [Int: URL] = [:]
        do {
            try await withThrowingTaskGroup(of: (Int, URL).self) { group in
                for (position, source) in sources {
                    guard let source, let url = URL(string: source) else {
                        throw APIError(code: "MALFORMED_RESPONSE", errorClass: .transient, message: "The API's answer has no usable URL for result \(position + 1); try again.")
                    }
                    let destination = folder.appendingPathComponent("download-\(UUID().uuidString).png")
                    group.addTask {
                        do {
                            try await engine.download(url, to: destination, limit: limit)
                        } catch {
                            try? FileManager.default.removeItem(at: destination)
                            throw error
                        }
                        return (position, destination)
                    }
                }
                for try await (position, file) in group { files[position] = file }
            }
        } catch {
            for file in files.values { try? FileManager.default.removeItem(at: file) }
            throw error
        }
        return files
    }

    /// The no-cache path: ask the engine, download to a temporary folder, store nothing.
    func fetchUncached(_ image: ImageSource, bytes: Data, inputKey: ContentHash, probe: ProbedImage, options: APIOptions) async throws -> Extraction {
        try spend.take(for: image.displayName, store: store)
        let retries = RetryCount()
        let answer: EngineAnswer
        do {
            answer = try await withCallPermit { try await call(bytes, probe: probe, name: image.displayName, options: options, onRetry: retryCounter(retries, name: image.displayName)) }
            tally.call(retries: retries.value)
        } catch {
            tally.call(retries: retries.value)
            throw error
        }
        defer { if let scratch = answer.scratch { try? FileManager.default.removeItem(at: scratch) } }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            var files: [Int: URL] = [:]
            if let images = try Self.resultImages(answer, probe: probe, options: options, engine: engine.identity.name) {
                for (position, image) in images.enumerated() {
                    let copy = folder.appendingPathComponent("result-\(position).png")
                    try image.write(to: copy)
                    files[position] = copy
                }
            } else {
                files = try await downloadAll(answer.elements.enumerated().map { position, element in
                    let source: String? = if case .url(let url) = element.result { url.absoluteString } else { nil }
                    return (position, source)
                }, into: folder)
            }
            let elements = try answer.elements.enumerated().map { position, element in
                let file = files[position]!
                return Extraction.Element(sha256: try ContentHash.of(fileAt: file), fileURL: file, width: element.width, height: element.height, x: element.x, y: element.y)
            }
            return Extraction(inputSHA256: inputKey, cache: .miss, requestID: answer.requestID, elements: elements, temporaryFolder: folder)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }
}

/// The retries of one call, counted as they happen.
final class RetryCount: Sendable {
    private let count = Atomic<Int64>(0)

    /// Counts one more retry and returns how many there have been.
    func add() -> Int64 {
        count.add(1, ordering: .relaxed).newValue
    }

    var value: Int64 { count.load(ordering: .relaxed) }
}
