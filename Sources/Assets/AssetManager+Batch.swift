import Foundation
import HeadExtraction

extension AssetManager {
    /// Extracts many photos with at most `jobs` API calls in flight, and yields each result in
    /// input order.
    ///
    /// ```swift
    /// for await (index, result) in manager.extract(images, jobs: 3) { … }
    /// ```
    ///
    /// Twice as many photos as `jobs` are in progress at once, so that the downloads and
    /// commits of some overlap the API calls of others, and the calls never wait for them.
    /// One failure never stops the rest.
    public func extract(_ images: [ImageSource], options: ExtractOptions = .default, jobs: Int = 3) -> AsyncStream<(index: Int, result: Result<Extraction, APIError>)> {
        let (stream, continuation) = AsyncStream<(index: Int, result: Result<Extraction, APIError>)>.makeStream()
        let limiter = CallLimiter(permits: jobs)
        let task = Task { [self] in
            await CallLimiter.$current.withValue(limiter) {
            await withTaskGroup(of: (Int, Result<Extraction, APIError>).self) { group in
                var next = 0
                var ready: [Int: Result<Extraction, APIError>] = [:]
                var emitted = 0
                func start() {
                    guard next < images.count else { return }
                    let index = next
                    next += 1
                    group.addTask {
                        (index, await self.outcome(of: images[index], options: options))
                    }
                }
                for _ in 0..<max(1, jobs) * 2 { start() }
                for await (index, result) in group {
                    ready[index] = result
                    while let result = ready.removeValue(forKey: emitted) {
                        continuation.yield((emitted, result))
                        emitted += 1
                    }
                    start()
                }
            }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// One photo's extraction as a value.
    ///
    /// - Note: A method rather than a `do throws(APIError)` block in the child task: Swift
    ///   6.3.1's optimizer returned every child's index as 0 from that block (release builds
    ///   only), which emitted the first result and dropped the rest. `scripts/crash-test` runs
    ///   a release build and caught it.
    func outcome(of image: ImageSource, options: ExtractOptions) async -> Result<Extraction, APIError> {
        do {
            return .success(try await extract(image, options: options))
        } catch {
            return .failure(error)
        }
    }
}
