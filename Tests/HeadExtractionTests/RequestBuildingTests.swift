import AssetTransport
import Foundation
import Testing
@testable import HeadExtraction

@Suite struct RequestBuildingTests {
    let base = URL(string: "https://api.example.com")!

    @Test func dataUploadIsAMultipartPostWithTheImageField() throws {
        let bytes = ImageBytes.png(width: 64, height: 64)
        let request = HeadExtractionAPI.extractionRequest(
            baseURL: base, image: .data(bytes), format: .png, options: APIOptions(), apiKey: "k-123"
        )
        #expect(request.method == "POST")
        #expect(request.url.absoluteString == "https://api.example.com/api/cutout/portrait/avatar-extraction")
        guard case .multipart(let parts) = request.body else { Issue.record("not multipart"); return }
        #expect(parts.map(\.name) == ["image"])
        #expect(parts[0].content == .data(bytes, filename: "image.png", contentType: "image/png"))
        #expect(request.headers[name: "ailabapi-api-key"] == "k-123")
    }

    @Test func fileUploadIsStreamedWithTheProbedContentType() throws {
        let url = Fixtures.url("grace_hopper.jpg")
        let request = HeadExtractionAPI.extractionRequest(
            baseURL: base, image: .file(url), format: .jpeg, options: APIOptions(returnForm: .mask), apiKey: nil
        )
        guard case .multipart(let parts) = request.body else { Issue.record("not multipart"); return }
        #expect(parts.map(\.name) == ["image", "return_form"])
        #expect(parts[0].content == .file(url, filename: "image.jpg", contentType: "image/jpeg"))
        #expect(parts[1].content == .text("mask"))
        #expect(request.headers[name: "ailabapi-api-key"] == nil)
        #expect(request.headers.isEmpty)
    }

    @Test func emptyKeySendsNoHeaderAndBasePathIsKept() {
        let request = HeadExtractionAPI.extractionRequest(
            baseURL: URL(string: "http://127.0.0.1:8081/prefix/")!, image: .data(Data([1])), format: .bmp,
            options: APIOptions(), apiKey: ""
        )
        #expect(request.headers[name: "ailabapi-api-key"] == nil)
        #expect(request.url.absoluteString == "http://127.0.0.1:8081/prefix/api/cutout/portrait/avatar-extraction")
    }

    @Test func creditsRequestIsAGetWithTheKey() {
        let request = HeadExtractionAPI.creditsRequest(baseURL: base, apiKey: "k")
        #expect(request.method == "GET")
        #expect(request.url.path == "/api/common/query-credits")
        #expect(request.headers == [HTTPHeader("ailabapi-api-key", "k")])
    }

    @Test func optionsHaveACanonicalString() throws {
        #expect(APIOptions().canonicalString == "")
        #expect(APIOptions(returnForm: .mask).canonicalString == "return_form=mask")
        let decoded = try JSONDecoder().decode(APIOptions.self, from: JSONEncoder().encode(APIOptions(returnForm: .mask)))
        #expect(decoded.returnForm == .mask)
    }
}
