import AssetTransport
import Foundation
import Testing

/// A fake API key that must never show up in an error, a cassette or a blob.
let fakeKey = "sk-test-SECRET-1234567890"

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
