import AssetStore
import Foundation

// A test helper: writes extractions into a store the way AssetManager does, so the tests can
// run several writer processes against one store at once.
// Usage: StoreWriter STORE PREFIX COUNT

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: StoreWriter STORE PREFIX COUNT\n".utf8))
    exit(64)
}
let store = try Store(at: URL(fileURLWithPath: arguments[1]))
let prefix = arguments[2]
for index in 0..<count {
    let input = ContentHash.of("\(prefix)-input-\(index)")
    let identity = ExtractionIdentity(
        actionKey: ContentHash.of("\(prefix)-action-\(index)"), inputKey: input, operation: "avatar-extraction",
        options: "", namespace: "test", inputSize: 100
    )
    // Every writer also stores one blob that all writers share, to exercise deduplication.
    let shared = Data("shared result bytes".utf8)
    let own = Data("\(prefix) result \(index)".utf8)
    try store.catalog.recordPending(identity, requestID: "\(prefix)-\(index)", logID: nil, elements: [
        .init(position: 0, sourceURL: "http://127.0.0.1/a", width: 1, height: 1, x: 0, y: 0),
        .init(position: 1, sourceURL: "http://127.0.0.1/b", width: 1, height: 1, x: 0, y: 0),
    ])
    try store.catalog.complete(identity.actionKey) {
        [0: try store.blobs.put(shared), 1: try store.blobs.put(own)]
    }
    try store.catalog.increment([.misses: 1, .upstreamCalls: 1])
}
