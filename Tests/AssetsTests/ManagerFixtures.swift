import Assets
import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import TestSupport

/// A store, a mock API and a manager over them, with retries shrunk to milliseconds.
struct ManagerFixture {
    let folder = TemporaryDirectory("manager")
    let store: Store
    let mock: MockService

    init() throws {
        store = try Store(at: folder.path("store"))
        mock = MockService()
    }

    static var fastRetries: AssetManagerConfiguration {
        var configuration = AssetManagerConfiguration()
        configuration.retryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(1))
        return configuration
    }

    /// A manager on the mock backend, or on any transport in any namespace.
    func manager(transport: (any Transport)? = nil, namespace: String = "mock", apiKey: String? = nil, store: Store?? = nil) -> AssetManager {
        let backend = Backend(name: "test", transport: transport ?? mock, baseURL: mock.baseURL, namespace: namespace, apiKey: apiKey, requiresKey: apiKey != nil)
        return AssetManager(store: store ?? self.store, backend: backend, configuration: Self.fastRetries)
    }

    var calls: Int { mock.counters.value.extractionCalls }
}

let gracePhoto = ImageSource.file(Repository.fixture("grace_hopper.jpg"))
let astronautPhoto = ImageSource.file(Repository.fixture("astronaut.png"))

/// Passes requests to the mock, but fails result downloads with `error` while `failing` says so.
final class FlakyDownloads: Transport, Sendable {
    let upstream: MockService
    let error: TransportError
    let failing: LockedValue<Bool>

    init(_ upstream: MockService, error: TransportError = TransportError(.connection, "The connection was reset.")) {
        self.upstream = upstream
        self.error = error
        failing = LockedValue(true)
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await upstream.send(request)
    }

    func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
        if failing.value { throw error }
        return try await upstream.download(request, to: destination, limit: limit)
    }
}

/// Every byte of every file under `folder`.
func allFileContents(under folder: URL) -> [(URL, Data)] {
    guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
    return enumerator.compactMap { item in
        guard let url = item as? URL, (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
              let data = try? Data(contentsOf: url) else { return nil }
        return (url, data)
    }
}
