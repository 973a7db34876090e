import Assets
import AssetStore
import Foundation
import HeadExtraction
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Blob files are never followed through symlinks, neither to answer nor to export.
@Suite struct BlobHygieneTests {
    let fixture: ManagerFixture

    init() throws {
        fixture = try ManagerFixture()
    }

    func isRegularFile(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    @Test func aSymlinkPlantedAtABlobPathIsNeitherAnsweredNorExported() async throws {
        let first = try await fixture.manager().extract(gracePhoto)
        let key = try #require(first.elements.first?.sha256)
        let blob = fixture.store.blobs.url(for: key)
        let secret = fixture.folder.path("secret.txt")
        try Data("root:x:0:0:root:/root:/bin/bash\n".utf8).write(to: secret)
        try FileManager.default.removeItem(at: blob)
        try FileManager.default.createSymbolicLink(at: blob, withDestinationURL: secret)

        // A fresh manager (no answers in memory) does not take the link for the blob.
        let again = try await fixture.manager().extract(gracePhoto)
        #expect(again.cache == .miss, "the planted link is no stored result")
        #expect(fixture.calls == 2)
        #expect(isRegularFile(blob), "the blob is stored again as a file of its own")
        let written = try ResultExporter(folder: fixture.folder.path("out")).export(again, stem: "g", returnForm: nil)
        #expect(isRegularFile(written[0]))
        #expect(ContentHash.of(try Data(contentsOf: written[0])) == key)
    }

    @Test func theExporterNeverCopiesASymlink() throws {
        let secret = fixture.folder.path("secret.txt")
        let bytes = Data("not a result".utf8)
        try bytes.write(to: secret)
        let link = fixture.folder.path("link.png")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: secret)
        let extraction = Extraction(
            inputSHA256: ContentHash.of("input"), cache: .hit, requestID: nil,
            elements: [Extraction.Element(sha256: ContentHash.of(bytes), fileURL: link, width: 1, height: 1, x: 0, y: 0)]
        )
        let out = fixture.folder.path("out")
        #expect {
            _ = try ResultExporter(folder: out).export(extraction, stem: "s", returnForm: nil)
        } throws: { error in
            (error as? APIError)?.code == "RESULT_UNREADABLE"
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("s.head.png").path))
        var info = stat()
        #expect(lstat(out.appendingPathComponent("s.head.png").path, &info) != 0, "no link was written either")
    }
}
