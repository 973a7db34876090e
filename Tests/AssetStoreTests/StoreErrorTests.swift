import AssetStore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Failures are worded by what happened: a full disk is not a permissions problem, and a
/// process out of file descriptors is not told to check permissions either.
@Suite struct StoreErrorTests {
    @Test func aFullDiskSaysToFreeSpaceAndNeverToRunGC() {
        for code in [ENOSPC, EDQUOT] {
            let error = StoreError.system("write", "/store/blobs/ab/cd", errno: code)
            #expect(error.kind == .diskFull)
            #expect(error.message.contains("free some disk space"))
            #expect(!error.message.contains("gc"))
            #expect(!error.message.contains("permission"))
        }
    }

    @Test func tooManyOpenFilesSaysSoAndDoesNotBlamePermissions() {
        for code in [EMFILE, ENFILE] {
            let error = StoreError.system("open", "/store/blobs/ab/cd", errno: code)
            #expect(error.kind == .tooManyOpenFiles)
            #expect(error.message.contains("too many open files"))
            #expect(error.message.contains("ulimit -n"))
            #expect(!error.message.contains("permission"))
        }
    }

    @Test func onlyARefusalOfAccessBlamesPermissions() {
        let denied = StoreError.system("open", "/store/x", errno: EACCES)
        #expect(denied.kind == .permissionDenied)
        #expect(denied.message.contains("permission"))
        let readOnly = StoreError.system("create", "/store/x", errno: EROFS)
        #expect(readOnly.kind == .readOnly)
        for code in [EIO, ENOENT, EISDIR] {
            let other = StoreError.system("read", "/store/x", errno: code)
            #expect(!other.message.contains("permission"), "\(code)")
            #expect(!other.message.contains("free"), "\(code)")
        }
    }

    @Test func everyMessageIsOneSentence() {
        for code in [ENOSPC, EMFILE, EACCES, EROFS, EIO, ENOENT] {
            let message = StoreError.system("open", "/store/x", errno: code).message
            #expect(message.hasSuffix("."))
            #expect(message.dropLast().contains(". ") == false, "\(message)")
        }
    }
}
