import Assets
import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Testing
import TestSupport

@Suite struct AssetManagerTests {
    let fixture: ManagerFixture

    init() throws {
        fixture = try ManagerFixture()
    }

    @Test func aHitAndAMissGiveByteIdenticalOutputFiles() async throws {
        let manager = fixture.manager()
        let miss = try await manager.extract(gracePhoto)
        #expect(miss.cache == .miss)
        #expect(miss.elements.count == 1)
        let first = try ResultExporter(folder: fixture.folder.path("first")).export(miss, stem: "grace_hopper", returnForm: nil)

        let hit = try await fixture.manager().extract(gracePhoto)
        #expect(hit.cache == .hit)
        let second = try ResultExporter(folder: fixture.folder.path("second")).export(hit, stem: "grace_hopper", returnForm: nil)

        #expect(fixture.calls == 1)
        #expect(first.map(\.lastPathComponent) == ["grace_hopper.head.png"])
        #expect(try Data(contentsOf: first[0]) == Data(contentsOf: second[0]))
        #expect(hit.elements == miss.elements)
        #expect(hit.inputSHA256 == ContentHash.of(try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))))
        #expect(ContentHash.of(try Data(contentsOf: first[0])) == miss.elements[0].sha256)
        #expect(try PNGCodec.decodeInfo(Data(contentsOf: first[0])).channels == 4)

        manager.flush()
        let stats = try fixture.store.stats()
        #expect(stats.entries == 1)
        #expect(stats.hits == 1)
        #expect(stats.misses == 1)
        #expect(stats.upstreamCalls == 1)
        #expect(stats.creditsSaved == 0, "a mock answer never cost a credit (SpendGuardTests has the real API's)")
    }

    @Test func aMaskIsAnotherActionWithItsOwnSingleChannelResult() async throws {
        let manager = fixture.manager()
        let cutout = try await manager.extract(gracePhoto)
        let mask = try await manager.extract(gracePhoto, options: ExtractOptions(api: APIOptions(returnForm: .mask)))
        #expect(mask.cache == .miss)
        #expect(fixture.calls == 2)
        #expect(mask.elements[0].sha256 != cutout.elements[0].sha256)
        #expect(try PNGCodec.decodeInfo(Data(contentsOf: mask.elements[0].fileURL)).channels == 1)
        let names = try ResultExporter(folder: fixture.folder.path("out")).export(mask, stem: "g", returnForm: .mask)
        #expect(names.map(\.lastPathComponent) == ["g.mask.png"])
    }

    @Test func severalHeadsAreNamedInOrder() async throws {
        fixture.mock.faults.withLock { $0.headCount = 3 }
        let extraction = try await fixture.manager().extract(astronautPhoto)
        #expect(extraction.elements.count == 3)
        let files = try ResultExporter(folder: fixture.folder.path("out")).export(extraction, stem: "astronaut", returnForm: nil)
        #expect(files.map(\.lastPathComponent) == ["astronaut.head.png", "astronaut.head-2.png", "astronaut.head-3.png"])
        for (file, element) in zip(files, extraction.elements) {
            #expect(ContentHash.of(try Data(contentsOf: file)) == element.sha256)
        }
    }

    @Test func aContentErrorIsCachedAsANegativeResult() async throws {
        fixture.mock.faults.withLock { $0.headCount = 0 }
        let manager = fixture.manager()
        for attempt in 1...3 {
            do {
                _ = try await manager.extract(gracePhoto)
                Issue.record("attempt \(attempt) succeeded without a face")
            } catch {
                #expect(error.code == "ERROR_NO_FACE_IN_FILE")
                #expect(error.errorClass == .content)
            }
        }
        #expect(fixture.calls == 1, "the refusal is answered from the store after the first call")
        manager.flush()
        let stats = try fixture.store.stats()
        #expect(stats.negative == 1)
        #expect(stats.hits == 2)
        #expect(stats.creditsSaved == 0, "a refusal is not billed, so repeating it saves nothing")
    }

    @Test func aTransientFailureIsRetriedAndNeverCached() async throws {
        fixture.mock.faults.withLock {
            $0.scriptedErrors = Array(repeating: ScriptedError("AI_SERVICE_FLOW_RESTRICTION"), count: 4)
        }
        let manager = fixture.manager()
        await #expect(throws: APIError.self) { try await manager.extract(gracePhoto) }
        #expect(fixture.calls == 4, "4 attempts in all")
        #expect(try fixture.store.stats().entries == 0)
        let later = try await manager.extract(gracePhoto)
        #expect(later.cache == .miss)
        #expect(fixture.calls == 5)
        #expect(try fixture.store.stats().retries == 3)
    }

    @Test func creditsAndAuthFailuresAreNotRetried() async throws {
        fixture.mock.faults.withLock { $0.scriptedErrors = [ScriptedError("ERROR_NOT_ENOUGH_CREDITS")] }
        await #expect { try await fixture.manager().extract(gracePhoto) } throws: { ($0 as? APIError)?.errorClass == .credits }
        #expect(fixture.calls == 1)
        #expect(try fixture.store.stats().entries == 0)
    }

    @Test func aBadInputCostsNoCallAndLeavesNothingBehind() async throws {
        // A PDF is no photo, fitted or not (a GIF is one now: see FittingManagerTests).
        let gif = fixture.folder.path("b.pdf")
        try Data("%PDF-1.4\n".utf8).write(to: gif)
        await #expect { try await fixture.manager().extract(.file(gif)) } throws: { error in
            let error = error as? APIError
            return error?.code == "UNSUPPORTED_FILE_TYPES" && error?.errorClass == .input
        }
        await #expect { try await fixture.manager().extract(.file(fixture.folder.path("missing.jpg"))) } throws: { error in
            (error as? APIError)?.errorClass == .input
        }
        #expect(fixture.calls == 0)
        let stats = try fixture.store.stats()
        #expect(stats.entries == 0 && stats.pending == 0 && stats.misses == 0)
    }

    @Test func noCacheNeitherReadsNorWritesTheStore() async throws {
        let warm = try await fixture.manager().extract(gracePhoto)
        #expect(warm.cache == .miss)
        let manager = fixture.manager()
        let uncached = try await manager.extract(gracePhoto, options: ExtractOptions(useCache: false))
        #expect(uncached.cache == .miss)
        #expect(fixture.calls == 2, "the stored answer was not read")
        #expect(uncached.elements.map(\.sha256) == warm.elements.map(\.sha256))
        #expect(!uncached.elements[0].fileURL.path.hasPrefix(fixture.store.root.path))
        let temporary = try #require(uncached.temporaryFolder)
        #expect(uncached.elements[0].fileURL.deletingLastPathComponent().path == temporary.path)
        try FileManager.default.removeItem(at: temporary)
        manager.flush()
        let stats = try fixture.store.stats()
        #expect(stats.entries == 1 && stats.hits == 0 && stats.misses == 1, "nothing was written either")
    }

    @Test func mockAnswersNeverAnswerARealRequest() async throws {
        _ = try await fixture.manager(namespace: "mock").extract(gracePhoto)
        let real = try await fixture.manager(namespace: Backend.realNamespace).extract(gracePhoto)
        #expect(real.cache == .miss)
        #expect(fixture.calls == 2)
    }

    @Test func twentyConcurrentCallersShareOneUpstreamCall() async throws {
        fixture.mock.faults.withLock { $0.latencyMilliseconds = 300 }
        let manager = fixture.manager()
        let results = try await withThrowingTaskGroup(of: Extraction.self) { group in
            for _ in 0..<20 { group.addTask { try await manager.extract(gracePhoto) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(fixture.calls == 1)
        #expect(results.count == 20)
        #expect(results.filter { $0.cache == .miss }.count == 1)
        #expect(Set(results.map(\.elements)).count == 1, "all 20 get the same result")
        #expect(manager.activity.upstreamCalls == 1)
        #expect(manager.activity.hits == 19)
    }

    @Test func aCrashAfterTheAnswerResumesTheDownloadsWithoutASecondCall() async throws {
        let flaky = FlakyDownloads(fixture.mock)
        await #expect(throws: APIError.self) { try await fixture.manager(transport: flaky).extract(gracePhoto) }
        #expect(fixture.calls == 1)
        let pending = try fixture.store.stats()
        #expect(pending.pending == 1, "the answer is committed before the downloads")
        #expect(pending.entries == 0, "a failure never leaves a success")

        // A new process: same store, working downloads.
        let reopened = try Store(at: fixture.store.root)
        let resumed = try await fixture.manager(store: reopened).extract(gracePhoto)
        #expect(fixture.calls == 1, "no second call")
        #expect(resumed.elements.count == 1)
        #expect(try reopened.stats().entries == 1)
        #expect(try reopened.stats().pending == 0)
    }

    @Test func anExpiredPendingAnswerIsCalledAgain() async throws {
        let flaky = FlakyDownloads(fixture.mock)
        await #expect(throws: APIError.self) { try await fixture.manager(transport: flaky).extract(gracePhoto) }
        fixture.mock.faults.withLock { $0.downloadFaults = [.expired] }
        let extraction = try await fixture.manager().extract(gracePhoto)
        #expect(extraction.cache == .miss)
        #expect(fixture.calls == 2, "only an expired URL is worth a second call")
    }

    @Test func aResultThatCannotBeDownloadedIsNeverCachedAsASuccess() async throws {
        fixture.mock.faults.withLock { $0.downloadFaults = [.oversized] }
        await #expect { try await fixture.manager().extract(gracePhoto) } throws: { ($0 as? APIError)?.code == "DOWNLOAD_TOO_LARGE" }
        let stats = try fixture.store.stats()
        #expect(stats.entries == 0)
        #expect(stats.blobs <= 1, "at most the raw answer, never a result")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.temporaryFolder.path).isEmpty)
    }

    @Test func theAPIKeyIsNeverAtRest() async throws {
        let key = "sk-test-SECRET-1234567890"
        fixture.mock.faults.withLock { $0.requireKey = true }
        let manager = fixture.manager(namespace: Backend.realNamespace, apiKey: key)
        _ = try await manager.extract(gracePhoto)
        _ = try await manager.extract(astronautPhoto, options: ExtractOptions(api: APIOptions(returnForm: .mask)))
        manager.flush()
        let files = allFileContents(under: fixture.store.root)
        #expect(files.count > 3)
        for (url, data) in files {
            #expect(data.range(of: Data(key.utf8)) == nil, "\(url.path) holds the key")
        }
    }

    @Test func aBatchComesBackInInputOrder() async throws {
        fixture.mock.faults.withLock { $0.latencyMilliseconds = 50 }
        let gif = fixture.folder.path("b.pdf")
        try Data("%PDF-1.4\n".utf8).write(to: gif)
        let images: [ImageSource] = [astronautPhoto, .file(gif), gracePhoto, astronautPhoto]
        var indices: [Int] = []
        var outcomes: [String] = []
        for await (index, result) in fixture.manager().extract(images, jobs: 3) {
            indices.append(index)
            switch result {
            case .success(let extraction): outcomes.append(extraction.cache.rawValue)
            case .failure(let error): outcomes.append(error.code)
            }
        }
        #expect(indices == [0, 1, 2, 3])
        #expect(outcomes[1] == "UNSUPPORTED_FILE_TYPES")
        #expect(outcomes[3] == "hit" || outcomes[0] == "hit", "the repeated photo is asked once")
        #expect(fixture.calls == 2)
    }
}
