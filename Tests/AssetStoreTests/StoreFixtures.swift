import AssetStore
import Foundation

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
