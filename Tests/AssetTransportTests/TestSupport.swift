import AssetTransport
import Foundation
import Testing

/// A fake API key that must never show up in an error, a cassette or a blob.
let fakeKey = "sk-test-SECRET-1234567890"

/// A folder of its own for one test, removed when released.
final class TemporaryFolder: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("assets-transport-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Names of everything in the folder, hidden files (partial downloads) included.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    /// Every file below the folder, recursively, with its bytes.
    func allFiles() throws -> [(path: String, bytes: Data)] {
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var files: [(String, Data)] = []
        for case let file as URL in walker where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            files.append((file.path, try Data(contentsOf: file)))
        }
        return files
    }
}

enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)
    static let jpeg = folder.appendingPathComponent("grace_hopper.jpg")
    static let png = folder.appendingPathComponent("coffee.png")
}

/// The bytes `/bytes/N` and `/chunked/N` serve: byte i is (i * 31 + 7) % 256.
func deterministicBytes(_ count: Int) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) })
}

/// What the loopback server's `/echo` saw.
struct Echo: Decodable {
    struct File: Decodable, Equatable {
        var name: String
        var filename: String
        var contentType: String?
        var sha256: String
        var size: Int
    }

    var method: String
    var contentType: String
    var bodySha256: String
    var bodyLength: Int
    var headerNames: [String]
    var fields: [String: String]
    var files: [File]

    init(_ response: HTTPResponse) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        self = try decoder.decode(Echo.self, from: response.body)
    }
}

/// Runs `body` and returns the TransportError it throws, failing the test if it throws none.
func transportError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> TransportError? {
    do {
        try await body()
        Issue.record("expected a TransportError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as TransportError {
        return error
    } catch {
        Issue.record("expected a TransportError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
