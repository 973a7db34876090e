import DurableFiles
import Foundation

/// One cassette file and its blobs, shared by the tasks that replay or record through it.
///
/// Matching requests replay their recorded answers in order, the last one repeating. A
/// recording is saved at once, JSON and blobs, so an interrupted session keeps what it has.
actor CassetteStore {
    nonisolated let url: URL
    nonisolated let blobsFolder: URL
    private let startEmpty: Bool
    private var cassette: Cassette?
    private var matches: [RequestFingerprint: [Int]] = [:]
    private var plays: [RequestFingerprint: Int] = [:]

    /// - Parameter startEmpty: ignore an existing file; the first save replaces it.
    init(url: URL, startEmpty: Bool) {
        self.url = url
        self.blobsFolder = Cassette.blobsFolder(for: url)
        self.startEmpty = startEmpty
    }

    private func loaded(requireFile: Bool) throws -> Cassette {
        if let cassette { return cassette }
        let cassette: Cassette
        if startEmpty {
            cassette = Cassette()
        } else if FileManager.default.fileExists(atPath: url.path) || requireFile {
            cassette = try Cassette.load(from: url)
        } else {
            cassette = Cassette()
        }
        self.cassette = cassette
        matches = [:]
        for (index, interaction) in cassette.interactions.enumerated() {
            matches[RequestFingerprint(interaction.request, kind: interaction.kind), default: []].append(index)
        }
        return cassette
    }

    /// The next recorded answer to `fingerprint`, or `nil` when none was recorded.
    func next(for fingerprint: RequestFingerprint, requireFile: Bool) throws -> Cassette.Interaction? {
        let cassette = try loaded(requireFile: requireFile)
        guard let indices = matches[fingerprint], !indices.isEmpty else { return nil }
        let played = plays[fingerprint, default: 0]
        plays[fingerprint] = played + 1
        return cassette.interactions[indices[min(played, indices.count - 1)]]
    }

    /// The error for a request the cassette does not hold.
    nonisolated func miss(_ fingerprint: RequestFingerprint) -> TransportError {
        TransportError(
            .replayMiss,
            "\(fingerprint) is not in cassette \(url.path); record the new exchanges into it (record mode new) with the API key set."
        )
    }

    /// The bytes of a recorded body, checked against its SHA-256.
    func bytes(of body: Cassette.Body) throws -> Data {
        if let text = body.text { return Data(text.utf8) }
        let file = blobsFolder.appendingPathComponent(body.sha256)
        guard let data = try? Data(contentsOf: file), SHA256Hex.of(data) == body.sha256 else {
            throw TransportError(.cassette, "Cassette \(url.path) is missing blob \(body.sha256), or it is damaged; record it again from scratch.")
        }
        return data
    }

    /// Replays a `send`.
    func response(for interaction: Cassette.Interaction) throws -> HTTPResponse {
        HTTPResponse(status: interaction.response.status, headers: interaction.response.headers, body: try bytes(of: interaction.response.body))
    }

    /// Replays a download: writes the recorded file to `destination` with the transport rules.
    func download(_ interaction: Cassette.Interaction, to destination: URL, limit: Int64) throws -> HTTPResponse {
        let recorded = interaction.response
        guard (200..<300).contains(recorded.status), let file = recorded.file else {
            return HTTPResponse(status: recorded.status, headers: recorded.headers, body: try bytes(of: recorded.body).prefix(64 * 1024))
        }
        guard Int64(file.size) <= limit else {
            throw TransportError(.tooLarge, "The recorded download \(file.sha256) is \(file.size) bytes, over the limit of \(limit) bytes; raise the limit if this file is expected to be that large.")
        }
        try Self.writeAtomically(try bytes(of: file), to: destination)
        return HTTPResponse(status: recorded.status, headers: recorded.headers)
    }

    /// Appends `interaction` and saves the cassette and `blobs`, or writes nothing at all.
    ///
    /// - Parameter secrets: values that must not be written; those under 8 characters are
    ///   not checked, so a short test key cannot match by chance inside image bytes.
    /// - Throws: ``TransportError`` with code ``TransportError/Code/cassette`` when a secret
    ///   would be written or a file cannot be; the message never holds the secret.
    func record(_ interaction: Cassette.Interaction, blobs: [String: Data], secrets: [String]) throws {
        var updated = try loaded(requireFile: false)
        updated.interactions.append(interaction)
        let json: Data
        do {
            json = try updated.encoded()
        } catch {
            throw TransportError(.cassette, "Cassette \(url.path) could not be encoded (\(error)); this is a bug, please report it.")
        }
        let fingerprint = RequestFingerprint(interaction.request, kind: interaction.kind)
        if Redaction.contains(json, secrets: secrets) || blobs.values.contains(where: { Redaction.contains($0, secrets: secrets) }) {
            throw TransportError(
                .cassette,
                "Refused to save cassette \(url.path): the exchange \(fingerprint) contains a secret (the API key or another credential), so nothing was written; check that the upstream does not echo credentials before recording again."
            )
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !blobs.isEmpty {
                try FileManager.default.createDirectory(at: blobsFolder, withIntermediateDirectories: true)
            }
            for (sha256, data) in blobs.sorted(by: { $0.key < $1.key }) {
                let file = blobsFolder.appendingPathComponent(sha256)
                if !FileManager.default.fileExists(atPath: file.path) { try Self.writeAtomically(data, to: file) }
            }
            try Self.writeAtomically(json, to: url)
        } catch let error as TransportError {
            throw TransportError(.cassette, "Could not save cassette \(url.path): \(error.message)")
        } catch {
            throw TransportError(.cassette, "Could not save cassette \(url.path); check that its folder is writable.")
        }
        cassette = updated
        matches[fingerprint, default: []].append(updated.interactions.count - 1)
    }

    /// Writes to a temporary file beside `destination`, then renames it into place.
    static func writeAtomically(_ data: Data, to destination: URL) throws {
        do throws(AtomicFileError) {
            try AtomicFile.write(data, to: destination)
        } catch where error.operation == .rename {
            throw TransportError(.localFile, "Could not move a file into place at \(destination.path) (\(error.reason)); check that the folder is writable.")
        } catch {
            throw TransportError(.localFile, "Could not write into \(destination.deletingLastPathComponent().path) (\(error.reason)); check that the folder exists and is writable.")
        }
    }
}
