import AssetStore
import Foundation
import HeadExtraction
import PhotoFitting

/// What to do with a photo the engine would refuse as it is.
public enum FitMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Fit it to the engine's limits: EXIF rotation applied, converted to JPEG, scaled down
    /// until it fits. The heads come back at the photo's own resolution, cut from its own
    /// pixels, with boxes in its upright coordinates. A photo that fits as it is and needs no
    /// rotation is still sent byte for byte.
    case auto
    /// Refuse it as the API would (today's behaviour before fitting existed).
    case never

    /// The largest photo decoded for fitting: 100 megapixels.
    public static let defaultMaxPixels = 100_000_000
}

/// How a photo goes to the engine.
enum Preparation {
    /// Byte for byte, under the key it always had.
    case asIs(ProbedImage)
    /// Fitted first, under a key that holds the fit profile.
    case fit(PhotoHeader)
}

/// A fitted photo's heads, mapped back to the original: the PNG and its box.
struct RestoredHead {
    var png: Data
    var box: PixelBox
}

extension AssetManager {
    /// The engine's limits, as fitting reads them.
    func fitLimits(maxPixels: Int) -> FitLimits {
        FitLimits(uploadLimits, maxPixels: maxPixels)
    }

    /// Decides how `bytes` go to the engine: as they are when the engine takes them and they
    /// need no rotation, else fitted (``FitMode/auto``) or refused (``FitMode/never``).
    func prepare(_ bytes: Data, name: String, options: ExtractOptions) throws(APIError) -> Preparation {
        guard options.fit == .auto else { return .asIs(try probe(bytes, name: name)) }
        let header = try PhotoFitter.header(of: bytes, name: name, maxPixels: options.maxPixels)
        switch try PhotoFitter.plan(header, limits: fitLimits(maxPixels: options.maxPixels), name: name) {
        case .asIs:
            return .asIs(try probe(bytes, name: name))
        case .fit:
            return .fit(header)
        }
    }

    /// The action key of `input` fitted with today's fit profile.
    func fittedActionKey(input: ContentHash, options: ExtractOptions) -> ContentHash {
        ActionKey.make(input: input, options: options.api, namespace: engine.identity.namespace, fitProfile: PhotoFitter.profile)
    }

    /// The miss path of a fitted photo, run once per action key in this process and under the
    /// key's file lock across processes: fit, one call for the masks of the fitted photo, the
    /// heads cut from the original at its own resolution, one commit.
    ///
    /// Unlike a photo sent as it is, the answer is committed only once its heads are made: a
    /// crash between the call and the commit costs a second call for this photo.
    func fetchFitted(_ image: ImageSource, bytes: Data, header: PhotoHeader, identity: ExtractionIdentity, options: ExtractOptions, store: Store) async throws -> Extraction {
        let lock = try FileLock(url: store.locksFolder.appendingPathComponent(identity.actionKey.hex + ".lock"))
        try await lock.lockAsync()
        defer { lock.release() }
        if let entry = try store.catalog.entry(for: identity.actionKey), let answer = try answerFromStore(entry, in: store) {
            return try answer.get()
        }

        let fitted = try await fit(bytes, header: header, name: image.displayName, options: options)
        var identity = identity
        identity.fitted = FittedUpload(sha256: fitted.hash, width: fitted.photo.width, height: fitted.photo.height)

        return try await withCallPermit { () async throws -> Extraction in
            try store.catalog.increment([.misses: 1])
            try spend.take(for: image.displayName, store: store)
            let outcome = await fittedHeads(fitted, original: bytes, header: header, name: image.displayName, options: options, scratch: store.temporaryFolder)
            try store.catalog.increment([.upstreamCalls: 1 + outcome.retries, .retries: outcome.retries])
            let (answer, heads): (EngineAnswer, [RestoredHead])
            switch outcome.result {
            case .success(let value):
                (answer, heads) = value
            case .failure(let error):
                if error.errorClass == .content {
                    try store.catalog.recordFailure(identity, code: error.code, message: error.message, requestID: error.requestID, logID: nil)
                }
                throw error
            }
            let completed = try store.catalog.recordComplete(
                identity, requestID: redacted(answer.requestID), logID: redacted(answer.logID),
                elements: heads.enumerated().map { position, head in
                    CatalogEntry.Element(position: position, sourceURL: nil, width: head.box.width, height: head.box.height, x: head.box.x, y: head.box.y)
                },
                placeResponse: { try answer.rawBody.map { try store.blobs.put(redacted($0)) } },
                placeBlobs: {
                    var placed: [Int: (hash: ContentHash, size: Int64)] = [:]
                    for (position, head) in heads.enumerated() {
                        placed[position] = try store.blobs.put(head.png)
                    }
                    return placed
                }
            )
            return Extraction(completed, cache: .miss, in: store)
        }
    }

    /// A fitted photo's heads with the cache off: in a temporary folder, the caller's to delete.
    func fetchFittedUncached(_ image: ImageSource, bytes: Data, inputKey: ContentHash, header: PhotoHeader, options: ExtractOptions) async throws -> Extraction {
        let fitted = try await fit(bytes, header: header, name: image.displayName, options: options)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            try spend.take(for: image.displayName, store: store)
            let outcome = try await withCallPermit {
                await fittedHeads(fitted, original: bytes, header: header, name: image.displayName, options: options, scratch: folder)
            }
            let (answer, heads) = try outcome.result.get()
            let elements = try heads.enumerated().map { position, head in
                let file = folder.appendingPathComponent("result-\(position).png")
                try FileWrite.write(head.png, to: file, sync: false)
                return Extraction.Element(sha256: ContentHash.of(head.png), fileURL: file, width: head.box.width, height: head.box.height, x: head.box.x, y: head.box.y)
            }
            return Extraction(
                inputSHA256: inputKey, cache: .miss, requestID: answer.requestID, elements: elements,
                fitted: FittedUpload(sha256: fitted.hash, width: fitted.photo.width, height: fitted.photo.height),
                temporaryFolder: folder
            )
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    /// A photo fitted, and its upload checked against the engine's limits like any other.
    private func fit(_ bytes: Data, header: PhotoHeader, name: String, options: ExtractOptions) async throws -> FittedInput {
        let limits = fitLimits(maxPixels: options.maxPixels)
        let photo = try await Self.offPool { () throws(APIError) in try PhotoFitter.fit(bytes, header: header, limits: limits, name: name) }
        return FittedInput(photo: photo, hash: ContentHash.of(photo.bytes), probe: try probe(photo.bytes, name: name))
    }

    /// One call for the masks of the fitted photo, then each head cut from the original.
    private func fittedHeads(_ fitted: FittedInput, original: Data, header: PhotoHeader, name: String, options: ExtractOptions, scratch: URL) async -> (result: Result<(EngineAnswer, [RestoredHead]), APIError>, retries: Int64) {
        var maskOptions = options.api
        maskOptions.returnForm = .mask
        let retries = RetryCount()
        let outcome = await callOutcome(fitted.photo.bytes, probe: fitted.probe, name: name, options: maskOptions, onRetry: retryCounter(retries, name: name))
        let retried = retries.value
        tally.call(retries: retried)
        do {
            let answer = try outcome.get()
            defer { if let scratch = answer.scratch { try? FileManager.default.removeItem(at: scratch) } }
            let masks = try await maskImages(answer, probe: fitted.probe, options: maskOptions, scratch: scratch)
            let form: HeadRestorer.Form = options.api.returnForm == .mask ? .mask : .cutout
            let photo = fitted.photo
            let heads = try await Self.offPool { () throws(APIError) -> [RestoredHead] in
                try zip(answer.elements, masks).map { element, mask throws(APIError) in
                    let box = PixelBox(x: element.x, y: element.y, width: element.width, height: element.height)
                    let head = try HeadRestorer.restore(original: original, header: header, fitted: photo, mask: mask, box: box, form: form, name: name)
                    return RestoredHead(png: head.png, box: head.box)
                }
            }
            return (.success((answer, heads)), retried)
        } catch let error as APIError {
            return (.failure(error), retried)
        } catch {
            return (.failure(APIError(code: "INTERNAL_ERROR", errorClass: .internal, message: "The extraction of \(name) failed: \(error).")), retried)
        }
    }

    /// The masks of an answer: its result files checked, or its result URLs downloaded at once.
    private func maskImages(_ answer: EngineAnswer, probe: ProbedImage, options: APIOptions, scratch: URL) async throws -> [Data] {
        if let images = try Self.resultImages(answer, probe: probe, options: options, engine: engine.identity.name) {
            return images
        }
        let files = try await downloadAll(answer.elements.enumerated().map { position, element in
            let source: String? = if case .url(let url) = element.result { url.absoluteString } else { nil }
            return (position, source)
        }, into: scratch)
        defer { for file in files.values { try? FileManager.default.removeItem(at: file) } }
        var downloaded: Int64 = 0
        let masks = try answer.elements.indices.map { position in
            let data = try BlobStore.readRegularFile(at: files[position]!)
            downloaded += Int64(data.count)
            return data
        }
        try? store?.catalog.increment([.bytesDownloaded: downloaded])
        return masks
    }

    /// Runs CPU-heavy work (decoding, resizing) on a thread of its own, off Swift's
    /// cooperative pool and off `serve`'s event loops.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws(APIError) -> T) async throws(APIError) -> T {
        let result: Result<T, APIError> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: Result { () throws(APIError) in try work() })
            }
        }
        return try result.get()
    }
}

/// A photo fitted to the engine's limits, ready to send.
struct FittedInput: Sendable {
    var photo: FittedPhoto
    var hash: ContentHash
    var probe: ProbedImage
}
