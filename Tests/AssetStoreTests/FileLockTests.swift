import AssetStore
import Foundation
import Synchronization
import Testing
import TestSupport

/// Lock files are removed by their holder, and removing one never lets two holders in.
@Suite struct FileLockTests {
    let folder = TemporaryDirectory("locks")

    @Test func releaseRemovesTheLockFile() throws {
        let url = folder.path("key.lock")
        let lock = try FileLock(url: url)
        try lock.lock()
        #expect(FileManager.default.fileExists(atPath: url.path))
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: url.path))
        // The path can be locked again at once, by a new lock or the same one.
        let again = try FileLock(url: url)
        #expect(try again.tryLock())
        again.release()
    }

    /// What the contending threads saw.
    final class Tally: Sendable {
        let inside = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let rounds = Atomic<Int>(0)
    }

    @Test func aWaiterOnARemovedLockFileDoesNotThinkItHoldsTheLock() async throws {
        let url = folder.path("contended.lock")
        let tally = Tally()
        // Eight threads take, hold and release (removing the file) one path, over and over:
        // each must find itself alone inside.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        Thread {
                            for _ in 0..<150 {
                                guard let lock = try? FileLock(url: url), (try? lock.lock()) != nil else { continue }
                                if tally.inside.add(1, ordering: .sequentiallyConsistent).newValue > 1 { tally.overlaps.add(1, ordering: .relaxed) }
                                usleep(50)
                                tally.inside.subtract(1, ordering: .sequentiallyConsistent)
                                tally.rounds.add(1, ordering: .relaxed)
                                lock.release()
                            }
                            done.resume()
                        }.start()
                    }
                }
            }
        }
        #expect(tally.rounds.load(ordering: .relaxed) == 8 * 150)
        #expect(tally.overlaps.load(ordering: .relaxed) == 0)
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
