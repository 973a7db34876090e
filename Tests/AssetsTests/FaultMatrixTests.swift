import Assets
import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Testing
import TestSupport

/// Every fault the mock can be told to produce: how many upstream calls it costs, the error the
/// caller sees, and that nothing is cached but the negative entry a content error leaves.
@Suite struct FaultMatrixTests {
    struct Fault: Sendable, CustomTestStringConvertible {
        var name: String
        var scripted: [ScriptedError] = []
        var downloads: [DownloadFault] = []
        var calls: Int
        var code: String
        var errorClass: ErrorClass
        var negative = false
        /// The answer stays pending and the next ask only downloads again.
        var resumes = false
        var testDescription: String { name }
    }

    static let faults: [Fault] = [
        Fault(name: "transient 503, four times", scripted: .init(repeating: ScriptedError("AI_SERVICE_FLOW_RESTRICTION"), count: 4), calls: 4, code: "AI_SERVICE_FLOW_RESTRICTION", errorClass: .transient),
        Fault(name: "transient 500, four times", scripted: .init(repeating: ScriptedError("SERVICE_INTERNAL_ERROR"), count: 4), calls: 4, code: "SERVICE_INTERNAL_ERROR", errorClass: .transient),
        Fault(name: "429 to retry, four times", scripted: .init(repeating: ScriptedError("EXCEEDING_LIMITS"), count: 4), calls: 4, code: "EXCEEDING_LIMITS", errorClass: .transient),
        Fault(name: "429 never to retry", scripted: [ScriptedError("ERROR_NOT_ENOUGH_CREDITS")], calls: 1, code: "ERROR_NOT_ENOUGH_CREDITS", errorClass: .credits),
        Fault(name: "auth: unknown application", scripted: [ScriptedError("ERROR_APPLICATIONS_NOT_EXISTS")], calls: 1, code: "ERROR_APPLICATIONS_NOT_EXISTS", errorClass: .auth),
        Fault(name: "auth: locked user", scripted: [ScriptedError("ERROR_USER_LOCKED")], calls: 1, code: "ERROR_USER_LOCKED", errorClass: .auth),
        Fault(name: "input: bad parameters", scripted: [ScriptedError("ERROR_PARAMETERS")], calls: 1, code: "ERROR_PARAMETERS", errorClass: .input),
        Fault(name: "content: no face", scripted: [ScriptedError("ERROR_NO_FACE_IN_FILE")], calls: 1, code: "ERROR_NO_FACE_IN_FILE", errorClass: .content, negative: true),
        Fault(name: "content: undecodable for the API", scripted: [ScriptedError("FILE_DECODING_FAILURE")], calls: 1, code: "FILE_DECODING_FAILURE", errorClass: .content, negative: true),
        Fault(name: "internal: AI deactivated", scripted: [ScriptedError("ERROR_AI_NOT_EXISTS")], calls: 1, code: "ERROR_AI_NOT_EXISTS", errorClass: .internal),
        Fault(name: "malformed: empty 200", scripted: .init(repeating: .malformed(""), count: 4), calls: 4, code: "MALFORMED_RESPONSE", errorClass: .transient),
        Fault(name: "malformed: HTML 200", scripted: .init(repeating: .malformed("<html><body>Bad Gateway</body></html>"), count: 4), calls: 4, code: "MALFORMED_RESPONSE", errorClass: .transient),
        Fault(name: "malformed: truncated JSON 200", scripted: .init(repeating: .malformed(#"{"request_id":"r","error_detail":{"co"#), count: 4), calls: 4, code: "MALFORMED_RESPONSE", errorClass: .transient),
        Fault(name: "timeout, four times", scripted: .init(repeating: .transport(.timeout), count: 4), calls: 4, code: "TRANSPORT_TIMEOUT", errorClass: .transient),
        Fault(name: "download: truncated", downloads: .init(repeating: .truncated, count: 8), calls: 1, code: "DOWNLOAD_TRUNCATED", errorClass: .transient, resumes: true),
        Fault(name: "download: missing", downloads: [.missing], calls: 1, code: "RESULT_EXPIRED", errorClass: .transient),
        Fault(name: "download: expired", downloads: [.expired], calls: 1, code: "RESULT_EXPIRED", errorClass: .transient),
        Fault(name: "download: oversized", downloads: [.oversized], calls: 1, code: "DOWNLOAD_TOO_LARGE", errorClass: .input),
    ]

    @Test(arguments: faults)
    func aFaultCostsItsCallsAndCachesNothing(_ fault: Fault) async throws {
        let fixture = try ManagerFixture()
        fixture.mock.faults.withLock {
            $0.scriptedErrors = fault.scripted
            $0.downloadFaults = fault.downloads
        }
        let key = "sk-test-SECRET-1234567890"
        let manager = fixture.manager(namespace: Backend.realNamespace, apiKey: key)
        do {
            let extraction = try await manager.extract(gracePhoto)
            Issue.record("\(fault.name) gave a result: \(extraction)")
        } catch {
            #expect(error.code == fault.code)
            #expect(error.errorClass == fault.errorClass)
            #expect(!error.message.isEmpty && !error.message.contains("\n"))
            #expect(error.message.hasSuffix("."), "a sentence: \(error.message)")
            #expect(!error.message.contains(key))
        }
        #expect(fixture.calls == fault.calls)

        let stats = try fixture.store.stats()
        #expect(stats.entries == (fault.negative ? 1 : 0))
        #expect(stats.negative == (fault.negative ? 1 : 0))
        let pngs = allFileContents(under: fixture.store.blobs.root).filter { $0.1.starts(with: [0x89, 0x50, 0x4E, 0x47]) }
        #expect(pngs.isEmpty, "no result was stored")

        #expect(stats.pending == (fault.resumes ? 1 : 0))

        // The next ask: a negative entry answers for free, a pending answer resumes its
        // downloads for free, anything else asks again.
        fixture.mock.faults.withLock { $0 = MockFaults() }
        let again: Result<Extraction, APIError> = await { () async -> Result<Extraction, APIError> in
            do throws(APIError) { return .success(try await manager.extract(gracePhoto)) } catch { return .failure(error) }
        }()
        if fault.negative {
            #expect(fixture.calls == fault.calls)
            #expect((try? again.get()) == nil)
        } else if fault.resumes {
            #expect(fixture.calls == fault.calls)
            #expect((try? again.get())?.elements.count == 1)
        } else {
            #expect(fixture.calls == fault.calls + 1)
            #expect((try? again.get())?.cache == .miss)
        }
    }

    @Test func a429ThatIsRetriedThenSucceedsCostsTwoCalls() async throws {
        let fixture = try ManagerFixture()
        fixture.mock.faults.withLock { $0.scriptedErrors = [ScriptedError("EXCEEDING_LIMITS", retryAfterSeconds: 0)] }
        let manager = fixture.manager()
        let extraction = try await manager.extract(gracePhoto)
        #expect(extraction.cache == .miss)
        #expect(fixture.calls == 2)
        manager.flush()
        let stats = try fixture.store.stats()
        #expect(stats.upstreamCalls == 2 && stats.retries == 1 && stats.entries == 1)
    }

    @Test func aSlowUpstreamHitsTheTimeout() async throws {
        let server = try await LoopbackServer.start(arguments: ["--latency-ms", "3000"])
        let folder = TemporaryDirectory("timeout")
        var settings = AssetManagerConfiguration()
        settings.retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1))
        settings.transport.requestTimeout = .milliseconds(300)
        let backend = Backend(name: "remote", transport: CurlTransport(configuration: settings.transport), baseURL: server.baseURL, namespace: Backend.realNamespace, apiKey: "k-12345678")
        let manager = AssetManager(store: try Store(at: folder.path("store")), backend: backend, configuration: settings)
        await #expect { try await manager.extract(gracePhoto) } throws: { error in
            let error = error as? APIError
            return error?.code == "TRANSPORT_TIMEOUT" && error?.errorClass == .transient
        }
        #expect(try await server.stats()["extraction_calls"] == 2)
        #expect(try manager.store!.stats().entries == 0)
    }
}

/// An answer that echoes the key (the API should never, but a proxy might) is stored redacted.
@Suite struct EchoedKeyTests {
    /// Passes to the mock, then writes the key into every answer body.
    final class EchoingTransport: Transport, Sendable {
        let upstream: MockService
        let key: String
        init(_ upstream: MockService, key: String) {
            self.upstream = upstream
            self.key = key
        }

        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            var response = try await upstream.send(request)
            let text = String(decoding: response.body, as: UTF8.self)
                .replacingOccurrences(of: "\"log_id\":\"", with: "\"log_id\":\"\(key)-")
            response.body = Data(text.utf8)
            return response
        }

        func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
            try await upstream.download(request, to: destination, limit: limit)
        }
    }

    @Test func anEchoedKeyNeverReachesTheStore() async throws {
        let fixture = try ManagerFixture()
        let key = "sk-test-SECRET-1234567890"
        let echoing = EchoingTransport(fixture.mock, key: key)
        let manager = fixture.manager(transport: echoing, namespace: Backend.realNamespace, apiKey: key)
        let probe = try await echoing.send(HeadExtractionAPI.extractionRequest(
            baseURL: fixture.mock.baseURL, image: .data(try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))),
            format: .jpeg, options: APIOptions(), apiKey: key, timeout: nil))
        #expect(String(decoding: probe.body, as: UTF8.self).contains(key), "the transport really echoes the key")
        _ = try await manager.extract(gracePhoto)
        manager.flush()
        for (url, data) in allFileContents(under: fixture.store.root) {
            #expect(data.range(of: Data(key.utf8)) == nil, "\(url.path) holds the key")
        }
    }
}
