import AssetTransport
import Foundation
import Testing
@testable import HeadExtraction
import TestSupport

@Suite struct DownloadTests {
    let mock = MockService()
    let folder: TemporaryDirectory

    init() throws {
        folder = TemporaryDirectory()
    }

    func client(_ transport: (any Transport)? = nil) -> HeadExtractionClient {
        HeadExtractionClient(transport: transport ?? mock, baseURL: mock.baseURL, apiKey: "secret-key", retryPolicy: .fast)
    }

    func resultURL(mask: Bool = false) async throws -> URL {
        let photo = ImageBytes.bmp(width: 120, height: 90)
        let answer = try await client().extract(
            .data(photo), probe: try ImageProbe.probe(photo, name: "p.bmp"),
            options: APIOptions(returnForm: mask ? .mask : nil)
        )
        return try #require(answer.elements.first?.imageURL)
    }

    @Test func resultIsDownloadedAndVerified() async throws {
        let destination = folder.path("head.png")
        let bytes = try await client().downloadResult(try await resultURL(), to: destination, limit: 1 << 20)
        let data = try Data(contentsOf: destination)
        #expect(bytes == Int64(data.count))
        #expect(try PNGCodec.decodeInfo(data).channels == 4)
        #expect(mock.counters.value.downloads == 1)
    }

    @Test func truncatedDownloadIsRetried() async throws {
        let url = try await resultURL()
        mock.faults.withLock { $0.downloadFaults = [.truncated] }
        let destination = folder.path("head.png")
        let bytes = try await client().downloadResult(url, to: destination)
        #expect(bytes > 0)
        #expect(mock.counters.value.downloads == 2)
    }

    @Test(arguments: [DownloadFault.expired, .missing])
    func expiredResultIsNotRetriedInPlace(fault: DownloadFault) async throws {
        let url = try await resultURL()
        mock.faults.withLock { $0.downloadFaults = [fault] }
        let destination = folder.path("head.png")
        let error = try #require(await apiError { try await client().downloadResult(url, to: destination) })
        #expect(error.code == "RESULT_EXPIRED")
        #expect(error.errorClass == .transient)
        #expect(error.httpStatus == (fault == .expired ? 403 : 404))
        #expect(mock.counters.value.downloads == 1)
        #expect(!FileManager.default.fileExists(atPath: destination.path))
    }

    @Test func oversizedResultIsRefused() async throws {
        let url = try await resultURL()
        let destination = folder.path("head.png")
        mock.faults.withLock { $0.downloadFaults = [.oversized] }
        let error = try #require(await apiError { try await client().downloadResult(url, to: destination) })
        #expect(error.code == "DOWNLOAD_TOO_LARGE")
        #expect(!FileManager.default.fileExists(atPath: destination.path))

        let small = try #require(await apiError { try await client().downloadResult(url, to: destination, limit: 100) })
        #expect(small.code == "DOWNLOAD_TOO_LARGE")
        #expect(mock.counters.value.downloads == 2)
    }

    @Test func nonPNGBytesAreRemoved() async throws {
        let transport = ScriptedTransport(download: { _, destination, _ in
            try Data("<html>not an image</html>".utf8).write(to: destination)
            return HTTPResponse(status: 200)
        })
        let destination = folder.path("head.png")
        let error = try #require(await apiError {
            try await client(transport).downloadResult(URL(string: "https://cdn.example/r.png")!, to: destination)
        })
        #expect(error.code == "RESULT_NOT_PNG")
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(transport.callCount == 1)
    }

    @Test func onlyHTTPResultURLsAreDownloaded() async throws {
        let transport = ScriptedTransport()
        for text in ["file:///etc/passwd", "ftp://example.com/r.png"] {
            let error = try #require(await apiError {
                try await client(transport).downloadResult(URL(string: text)!, to: folder.path("x.png"))
            })
            #expect(error.code == "RESULT_URL_REFUSED" && error.errorClass == .input)
        }
        #expect(transport.callCount == 0)
    }

    @Test func theKeyIsNeverSentToResultURLs() async throws {
        let png = try PNGCodec.encode(width: 2, height: 2, pixels: Array(repeating: 0, count: 16), format: .rgba)
        let transport = ScriptedTransport(download: { _, destination, _ in
            try png.write(to: destination)
            return HTTPResponse(status: 200)
        })
        let bytes = try await client(transport).downloadResult(URL(string: "https://cdn.example/r.png")!, to: folder.path("k.png"))
        #expect(bytes == Int64(png.count))
        let request = try #require(transport.requests.value.first)
        #expect(request.headers[name: "ailabapi-api-key"] == nil)
        #expect(request.method == "GET")
    }

    @Test func serverErrorsAreRetriedButOtherClientErrorsAreNot() async throws {
        let flaky = ScriptedTransport(download: { _, _, call in HTTPResponse(status: call < 3 ? 503 : 400) })
        let error = try #require(await apiError {
            try await client(flaky).downloadResult(URL(string: "https://cdn.example/r.png")!, to: folder.path("f.png"))
        })
        #expect(error.code == "RESULT_DOWNLOAD_FAILED" && error.httpStatus == 400)
        #expect(flaky.callCount == 3)
    }
}
