import AssetStore
import Foundation
import Synchronization

/// Writes a complete extraction with the given result bytes, as AssetManager would.
@discardableResult
func storeExtraction(_ store: Store, name: String, results: [Data], now: Date = Date()) throws -> CatalogEntry {
    let identity = ExtractionIdentity(
        actionKey: ContentHash.of("action \(name)"), inputKey: ContentHash.of("input \(name)"),
        operation: "avatar-extraction", options: "", namespace: "test", inputSize: 1000
    )
    let elements = results.indices.map {
        CatalogEntry.Element(position: $0, sourceURL: "http://127.0.0.1/\(name)/\($0).png", width: 10, height: 12, x: $0, y: 2)
    }
    try store.catalog.recordPending(identity, requestID: "req-\(name)", logID: "log-\(name)", elements: elements, now: now) {
        try store.blobs.put(Data("{\"request_id\":\"req-\(name)\"}".utf8))
    }
    return try store.catalog.complete(identity.actionKey, now: now) {
        var placed: [Int: (hash: ContentHash, size: Int64)] = [:]
        for (position, data) in results.enumerated() { placed[position] = try store.blobs.put(data) }
        return placed
    }
}

/// Sets a file's modification time into the past.
func backdate(_ url: URL, by seconds: TimeInterval) throws {
    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: url.path)
}

/// Runs `body` on a thread of its own (never on Swift's cooperative pool) until `stop` is set,
/// passing the round number; the returned task ends when the thread does.
final class BackgroundLoop: @unchecked Sendable {
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)
    /// The first error `body` threw, if any.
    private(set) var failure: (any Error)?
    private(set) var rounds = 0

    init(_ body: @escaping @Sendable (Int) throws -> Void) {
        Thread { [self] in
            var round = 0
            while !stopped.withLock({ $0 }) {
                do {
                    try body(round)
                } catch {
                    failure = failure ?? error
                }
                round += 1
            }
            rounds = round
            finished.signal()
        }.start()
    }

    /// Stops the loop and waits for its thread, off the cooperative pool.
    func stop() async {
        stopped.withLock { $0 = true }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread { [self] in
                finished.wait()
                done.resume()
            }.start()
        }
    }
}
