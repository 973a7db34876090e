import DurableFiles
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

@Suite struct AtomicFileTests {
    let folder = TemporaryDirectory("atomic")

    @Test func writeReplacesTheFileWholeAndLeavesNoTemporary() throws {
        let target = folder.path("answer.json")
        try Data("old".utf8).write(to: target)
        try AtomicFile.write(Data("new, and longer".utf8), to: target, syncFile: true, syncFolder: true)
        #expect(try Data(contentsOf: target) == Data("new, and longer".utf8))
        #expect(try folder.contents() == ["answer.json"])
    }

    @Test func aNamedTemporaryIsUsedAndGone() throws {
        let target = folder.path("blob")
        try AtomicFile.write(Data(repeating: 9, count: 70_000), to: target, temporaryName: ".tmp-mine")
        #expect(try Data(contentsOf: target) == Data(repeating: 9, count: 70_000))
        #expect(try folder.contents() == ["blob"])
    }

    @Test func aMissingFolderFailsAtCreateWithItsErrno() throws {
        let target = folder.path("absent/answer.json")
        let error = #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data("x".utf8), to: target) }
        #expect(error?.operation == .create && error?.code == ENOENT)
        #expect(error?.path.hasPrefix(folder.path("absent").path + "/") == true)
        #expect(try folder.contents().isEmpty)
    }

    @Test func aFailedRenameRemovesTheTemporaryAndKeepsWhatWasThere() throws {
        // A non-empty folder at the destination cannot be replaced by a file.
        let target = folder.path("taken")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("inside".utf8).write(to: target.appendingPathComponent("kept"))
        let error = #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data("x".utf8), to: target, syncFile: true) }
        #expect(error?.operation == .rename && error?.code == EISDIR)
        #expect(error?.path == target.path)
        #expect(try folder.contents() == ["taken"])
        #expect(try Data(contentsOf: target.appendingPathComponent("kept")) == Data("inside".utf8))
    }

    @Test func moveRenamesAFinishedFileIntoPlace() throws {
        let source = folder.path(".partial")
        try Data("done".utf8).write(to: source)
        try AtomicFile.move(source, to: folder.path("done.txt"), syncFolder: true)
        #expect(try folder.contents() == ["done.txt"])
        #expect(try Data(contentsOf: folder.path("done.txt")) == Data("done".utf8))

        let error = #expect(throws: AtomicFileError.self) { try AtomicFile.move(folder.path("gone"), to: folder.path("x")) }
        #expect(error?.operation == .rename && error?.code == ENOENT)
    }
}
