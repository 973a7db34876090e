import Foundation
import Synchronization
import Testing
@testable import AssetTransport

/// Blocking transfers run on a bounded set of threads, however many are asked for at once.
@Suite struct TransferThreadsTests {
    final class Tally: Sendable {
        struct Figures {
            var running = 0
            var most = 0
            var done = 0
            var threads: Set<UInt> = []
        }

        let figures = Mutex(Figures())
    }

    @Test func twoHundredBlockingJobsNeverRunMoreThanTheThreadsAtOnce() async {
        let pool = TransferThreads(maxThreads: 4)
        let tally = Tally()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        pool.submit {
                            tally.figures.withLock { figures in
                                figures.running += 1
                                figures.most = max(figures.most, figures.running)
                                figures.threads.insert(UInt(pthread_self()))
                            }
                            usleep(2000)  // a transfer blocks its thread
                            tally.figures.withLock { figures in
                                figures.running -= 1
                                figures.done += 1
                            }
                            continuation.resume()
                        }
                    }
                }
            }
        }
        let figures = tally.figures.withLock { $0 }
        #expect(figures.done == 200)
        #expect(figures.most <= 4)
        #expect(figures.most >= 2, "they do run side by side")
        #expect(figures.threads.count <= 4)
    }
}
