import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Synchronization

extension AssetManager {
    /// The miss path, run once per action key in this process, under the key's file lock so
    /// that it also runs once across processes sharing the store.
    func fetchShared(_ image: ImageSource, bytes: Data, identity: ExtractionIdentity, probe: ProbedImage, options: ExtractionOptions, store: Store) async throws -> Extraction {
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
        // crash can lose at most `jobs` answers that were paid for.
        let entry = try await withCallPermit { () async throws -> CatalogEntry in
            try store.catalog.increment([.misses: 1])
            let retries = Atomic<Int64>(0)
            // A Result, not a `do throws(APIError)` block: see `outcome(of:options:)`.
            let outcome = await callOutcome(bytes, probe: probe, options: options, onRetry: { retries.add(1, ordering: .relaxed) })
            let retried = retries.load(ordering: .relaxed)
            tally.call(retries: retried)
            try store.catalog.increment([.upstreamCalls: 1 + retried, .retries: retried])
            let answer: ExtractionAnswer
            switch outcome {
            case .success(let value):
                answer = value
            case .failure(let error):
                if error.errorClass == .content {
                    try store.catalog.recordFailure(identity, code: error.code, message: error.message, requestID: error.requestID, logID: nil)
                }
                throw error
            }

            return try store.catalog.recordPending(
                identity, requestID: redacted(answer.requestID), logID: redacted(answer.logID),
                elements: answer.elements.enumerated().map { position, element in
                    CatalogEntry.Element(position: position, sourceURL: element.imageURL.absoluteString, width: element.width, height: element.height, x: element.x, y: element.y)
                },
                placeResponse: { try store.blobs.put(redacted(answer.rawBody)) }
            )
        }
        return try await downloadOrForget(entry, store: store)
    }

    /// The key never rests on disk, even if the API were to echo it in its answer.
    private func redacted(_ text: String?) -> String? {
        guard let text, let key = backend.apiKey, key.count >= 8 else { return text }
        return text.replacingOccurrences(of: key, with: "<redacted>", options: .caseInsensitive)
    }

    private func redacted(_ body: Data) -> Data {
        guard let key = backend.apiKey, key.count >= 8 else { return body }
        let needle = Data(key.utf8)
        var clean = body
        while let range = clean.range(of: needle) {
            clean.replaceSubrange(range, with: Data("<redacted>".utf8))
        }
        return clean
    }

    /// One API call, with its retries.
    private func call(_ bytes: Data, probe: ProbedImage, options: ExtractionOptions, onRetry: @escaping @Sendable () -> Void) async throws(APIError) -> ExtractionAnswer {
        try await client.extract(.data(bytes), probe: probe, options: options) { _ in onRetry() }
    }

    /// ``call(_:probe:options:onRetry:)`` as a value.
    private func callOutcome(_ bytes: Data, probe: ProbedImage, options: ExtractionOptions, onRetry: @escaping @Sendable () -> Void) async -> Result<ExtractionAnswer, APIError> {
        do {
            return .success(try await call(bytes, probe: probe, options: options, onRetry: onRetry))
        } catch {
            return .failure(error)
        }
    }

    /// Runs `body` within the batch's call limit, if there is one.
    private func withCallPermit<T>(_ body: () async throws -> T) async throws -> T {
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
        return Extraction(
            inputSHA256: completed.inputKey, cache: .miss, requestID: completed.requestID,
            elements: completed.elements.compactMap { element in
                guard let key = element.blobKey else { return nil }
                return Extraction.Element(sha256: key, fileURL: store.blobs.url(for: key), width: element.width, height: element.height, x: element.x, y: element.y)
            }
        )
    }

    /// Downloads each result URL into `folder` at once. On any failure, every file is removed.
    func downloadAll(_ sources: [(position: Int, url: String?)], into folder: URL) async throws -> [Int: URL] {
        let limit = configuration.transport.maxDownloadBytes
        let client = client
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
                            _ = try await client.downloadResult(url, to: destination, limit: limit)
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

    /// The no-cache path: ask the backend, download to a temporary folder, store nothing.
    func fetchUncached(_ image: ImageSource, bytes: Data, inputKey: ContentHash, probe: ProbedImage, options: ExtractionOptions) async throws -> Extraction {
        let retries = Atomic<Int64>(0)
        let answer: ExtractionAnswer
        do {
            answer = try await withCallPermit { try await call(bytes, probe: probe, options: options) { retries.add(1, ordering: .relaxed) } }
            tally.call(retries: retries.load(ordering: .relaxed))
        } catch {
            tally.call(retries: retries.load(ordering: .relaxed))
            throw error
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            let files = try await downloadAll(answer.elements.enumerated().map { ($0.offset, $0.element.imageURL.absoluteString) }, into: folder)
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
