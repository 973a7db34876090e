import AssetTransport
import Foundation
import FuzzSupport

// Cassette.load(from:) on arbitrary files, then a replay of each loaded interaction through
// ReplayTransport (fingerprinting, matching, blob lookup). Every failure must be a
// TransportError with the cassette or replay-miss code; nothing may trap.
//
// The input is written to FUZZ_CASSETTE_DIR (default: a folder under the temporary folder)
// as `c.json`; when FUZZ_CASSETTE_BLOBS names a blob folder it is linked as `c.json.blobs`,
// so recorded uploads and downloads can be found and matched.
let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FUZZ_CASSETTE_DIR"]
    ?? NSTemporaryDirectory() + "fuzz-cassette-\(getpid())")
let file = folder.appendingPathComponent("c.json")
let destination = folder.appendingPathComponent("download.out")
try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
if let blobs = ProcessInfo.processInfo.environment["FUZZ_CASSETTE_BLOBS"] {
    try? FileManager.default.createSymbolicLink(
        atPath: Cassette.blobsFolder(for: file).path, withDestinationPath: blobs)
}
let allowedCodes: Set<TransportError.Code> = [.cassette, .replayMiss, .tooLarge, .localFile]

/// Runs `operation` to completion on the cooperative pool from libFuzzer's thread.
func blocking<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
    nonisolated(unsafe) var result: Result<T, any Error>?
    let done = DispatchSemaphore(value: 0)
    Task {
        do { result = .success(try await operation()) } catch { result = .failure(error) }
        done.signal()
    }
    done.wait()
    return result!
}

func checkFailure(_ error: any Error) {
    guard let error = error as? TransportError else { preconditionFailure("untyped error \(error)") }
    precondition(allowedCodes.contains(error.code), "code \(error.code): \(error.message)")
}

/// The request that `recorded` describes, with file parts read from the blob folder.
func request(_ recorded: Cassette.Request) -> HTTPRequest? {
    guard let url = URL(string: recorded.url) else { return nil }
    var request = HTTPRequest(method: recorded.method, url: url, headers: recorded.headers)
    if let parts = recorded.parts {
        request.body = .multipart(parts.map { part in
            if let body = part.body {
                let blob = Cassette.blobsFolder(for: file).appendingPathComponent(body.sha256)
                let data = (try? Data(contentsOf: blob)) ?? Data()
                return MultipartPart(name: part.name, content: .data(data, filename: part.filename ?? "f", contentType: part.contentType ?? "application/octet-stream"))
            }
            return .text(part.name, part.value ?? "")
        })
    } else if let text = recorded.body?.text {
        request.body = .bytes(Data(text.utf8))
    }
    return request
}

FuzzMain.run { data in
    guard (try? data.write(to: file)) != nil else { preconditionFailure("cannot write \(file.path)") }
    let cassette: Cassette
    do {
        cassette = try Cassette.load(from: file)
    } catch {
        checkFailure(error)
        return
    }
    precondition(cassette.version == Cassette.currentVersion)
    let replay = ReplayTransport(cassette: file)
    for interaction in cassette.interactions.prefix(8) {
        guard let request = request(interaction.request) else { continue }
        let outcome = blocking {
            switch interaction.kind {
            case .send: try await replay.send(request)
            case .download: try await replay.download(request, to: destination, limit: 1 << 20)
            }
        }
        if case .failure(let error) = outcome { checkFailure(error) }
    }
}
