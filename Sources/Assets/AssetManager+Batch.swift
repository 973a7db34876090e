import Foundation
import HeadExtraction

extension AssetManager {
    /// Extracts many photos, `jobs` at a time, and yields each result in input order.
    ///
    /// ```swift
    /// for await (index, result) in manager.extract(images, jobs: 3) { … }
    /// ```
    ///
    /// At most `jobs` extractions (and so at most `jobs` API calls) are in flight; the
    /// downloads of one overlap the calls of the others. One failure never stops the rest.
    public func extract(_ images: [ImageSource], options: ExtractOptions = .default, jobs: Int = 3) -> AsyncStream<(index: Int, result: Result<Extraction, APIError>)> {
        let (stream, continuation) = AsyncStream<(index: Int, result: Result<Extraction, APIError>)>.makeStream()
        let task = Task { [self] in
            await withTaskGroup(of: (Int, Result<Extraction, APIError>).self) { group in
                var next = 0
                var ready: [Int: Result<Extraction, APIError>] = [:]
                var emitted = 0
                func start() {
                    guard next < images.count else { return }
                    let index = next
                    next += 1
                    group.addTask {
                        do throws(APIError) {
                            return (index, .success(try await self.extract(images[index], options: options)))
                        } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                for _ in 0..<max(1, jobs) { start() }
                for await (index, result) in group {
                    ready[index] = result
                    while let result = ready.removeValue(forKey: emitted) {
                        continuation.yield((emitted, result))
                        emitted += 1
                    }
                    start()
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
