import AssetStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

@Suite struct BlobStoreTests {
    let folder = TemporaryDirectory("blobs")
    var blobs: BlobStore { BlobStore(root: folder.path("blobs")) }

    @Test func putThenReadReturnsTheSameBytesAtTheirShardedPath() throws {
        let data = Data("a head, cut out".utf8)
        let (hash, size) = try blobs.put(data)
        #expect(hash == ContentHash.of(data))
        #expect(size == Int64(data.count))
        let hex = hash.hex
        let expected = folder.path("blobs/\(hex.prefix(2))/\(hex.dropFirst(2))")
        #expect(blobs.url(for: hash).path == expected.path)
        #expect(FileManager.default.contents(atPath: expected.path) == data)
        #expect(try blobs.read(hash, verify: true) == data)
    }

    @Test func theSameBytesAreStoredOnce() throws {
        let data = Data(repeating: 7, count: 4096)
        let first = try blobs.put(data)
        let second = try blobs.put(data)
        let fromFile = folder.path("copy.bin")
        try data.write(to: fromFile)
        let third = try blobs.put(fileAt: fromFile)
        #expect(first.hash == second.hash && second.hash == third.hash)
        let files = blobs.enumerateFiles()
        #expect(files.count == 1)
        #expect(files.first?.hash == first.hash)
        #expect(!FileManager.default.fileExists(atPath: fromFile.path), "the source file is consumed")
    }

    @Test func putFileMovesItIntoPlaceAndLeavesNoTemporaryFiles() throws {
        let source = folder.path("download.png")
        let data = Data((0..<10_000).map { UInt8($0 % 251) })
        try data.write(to: source)
        let (hash, size) = try blobs.put(fileAt: source)
        #expect(size == 10_000)
        #expect(try blobs.read(hash, verify: true) == data)
        #expect(blobs.enumerateFiles().allSatisfy { $0.hash != nil })
    }

    @Test func verifiedReadRejectsAFlippedByte() throws {
        let (hash, _) = try blobs.put(Data("original bytes".utf8))
        var bytes = try Data(contentsOf: blobs.url(for: hash))
        bytes[0] ^= 0x01
        try bytes.write(to: blobs.url(for: hash))
        #expect(throws: StoreError.self) { try blobs.read(hash, verify: true) }
        #expect(!blobs.isIntact(hash))
        #expect(try blobs.read(hash) == bytes, "an unverified read returns what is on disk")
    }

    @Test func hashesRoundTripThroughHex() throws {
        let hash = ContentHash.of("x")
        #expect(hash.hex == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")
        #expect(ContentHash(hex: hash.hex) == hash)
        #expect(ContentHash(hex: hash.hex.uppercased()) == hash)
        #expect(ContentHash(hex: "zz" + hash.hex.dropFirst(2)) == nil)
        #expect(ContentHash(hex: "abc") == nil)
        let file = folder.path("x.txt")
        try Data("x".utf8).write(to: file)
        #expect(try ContentHash.of(fileAt: file) == hash)
    }

    /// Plants `target` at the path of the blob whose hash is `hash` as a symlink.
    func plantSymlink(to target: URL, as hash: ContentHash) throws {
        let path = blobs.url(for: hash)
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: path, withDestinationURL: target)
    }

    @Test func aSymlinkAtABlobPathIsNeverFollowed() throws {
        let secret = folder.path("outside-the-store.txt")
        let bytes = Data("root:x:0:0:root:/root:/bin/bash\n".utf8)
        try bytes.write(to: secret)
        let hash = ContentHash.of(bytes)
        try plantSymlink(to: secret, as: hash)

        #expect(!blobs.contains(hash), "a symlink is not a blob")
        #expect(blobs.size(of: hash) == nil)
        #expect(!blobs.isIntact(hash))
        #expect(blobs.check(hash, size: Int64(bytes.count)) == .missing)
        #expect(throws: StoreError.self) { try blobs.read(hash) }
        #expect(throws: StoreError.self) { try blobs.read(hash, verify: true) }
        #expect(throws: StoreError.self) { try BlobStore.readRegularFile(at: blobs.url(for: hash)) }
        #expect(throws: StoreError.self) { try ContentHash.of(fileAt: blobs.url(for: hash)) }
        do {
            _ = try blobs.read(hash)
        } catch let error as StoreError {
            #expect(error.kind == .corruptBlob)
            #expect(error.message.contains("repair the store"))
        }
    }

    @Test func aFIFOAtABlobPathIsMissingAndNeverWaitedOn() throws {
        let hash = ContentHash.of("a fifo")
        let path = blobs.url(for: hash)
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        #expect(mkfifo(path.path, 0o644) == 0)
        // Before, opening it blocked for ever waiting for a writer.
        #expect(!blobs.contains(hash))
        #expect(blobs.check(hash, size: nil) == .missing)
        #expect(throws: StoreError.self) { try blobs.read(hash) }
    }

    @Test func putReplacesASymlinkAtTheBlobPathInsteadOfTakingItForTheBlob() throws {
        let data = Data("the real result".utf8)
        let hash = ContentHash.of(data)
        let elsewhere = folder.path("elsewhere.txt")
        let other = Data("same size, other!".utf8)
        try other.write(to: elsewhere)
        try plantSymlink(to: elsewhere, as: hash)

        #expect(try blobs.put(data).hash == hash)
        var info = stat()
        #expect(lstat(blobs.url(for: hash).path, &info) == 0)
        #expect((info.st_mode & S_IFMT) == S_IFREG, "the link was replaced by the blob itself")
        #expect(try blobs.read(hash, verify: true) == data)
        #expect(try Data(contentsOf: elsewhere) == other, "the link's target is untouched")
    }

    @Test func aShortFileAtTheBlobPathIsRewrittenByPut() throws {
        let data = Data("a complete result".utf8)
        let hash = ContentHash.of(data)
        let path = blobs.url(for: hash)
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("a comp".utf8).write(to: path)
        try blobs.put(data)
        #expect(try blobs.read(hash, verify: true) == data)
    }

    @Test func aTornFileOfTheRightSizeIsRewrittenByBothPuts() throws {
        // What a power cut can leave of a blob written unsynced: its name, its size, other bytes.
        let data = Data((0..<5_000).map { UInt8($0 % 199) })
        let hash = ContentHash.of(data)
        let path = blobs.url(for: hash)
        for put in [{ try blobs.put(data) }, { try blobs.put(fileAt: try written(data, to: "again.bin")) }] {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(count: data.count).write(to: path)
            #expect(blobs.check(hash, size: Int64(data.count)) == .corrupt)
            #expect(try put().hash == hash)
            #expect(try blobs.read(hash, verify: true) == data)
        }
    }

    @Test func anUnsyncedBlobIsReadableAtOnceAndSyncMakesItDurable() throws {
        let data = Data("a head fetched from the shared tier".utf8)
        let (hash, size) = try blobs.putUnsynced(data)
        #expect(size == Int64(data.count))
        #expect(try blobs.read(hash, verify: true) == data, "readers see the whole file before it is synced")
        try blobs.sync(hash)
        #expect(blobs.enumerateFiles().map(\.hash) == [hash], "no temporary file is left")
        let absent = ContentHash.of(Data("never stored".utf8))
        #expect(throws: StoreError.self) { try blobs.sync(absent) }
    }

    private func written(_ data: Data, to name: String) throws -> URL {
        let file = folder.path(name)
        try data.write(to: file)
        return file
    }

    @Test func readReadsTheWholeFile() throws {
        let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let (hash, _) = try blobs.put(data)
        #expect(try blobs.read(hash, verify: true) == data)
        #expect(blobs.check(hash, size: Int64(data.count)) == .intact)
        #expect(blobs.check(hash, size: 1) == .corrupt)
    }
}
