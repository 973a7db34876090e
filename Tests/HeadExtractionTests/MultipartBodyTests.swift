import AssetTransport
import Foundation
import Testing
@testable import HeadExtraction

@Suite struct MultipartBodyTests {
    static func body(boundary: String, image: Data, returnForm: String?) -> Data {
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a b.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += image
        if let returnForm {
            body += Data("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"return_form\"\r\n\r\n\(returnForm)".utf8)
        }
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        return body
    }

    @Test func partsAreRead() throws {
        let image = ImageBytes.png(width: 40, height: 40) + Data("\r\n--not-the-boundary".utf8)
        let parts = try MultipartBody.parse(
            Self.body(boundary: "XyZ123", image: image, returnForm: "mask"),
            contentType: "multipart/form-data; boundary=\"XyZ123\""
        )
        #expect(parts == [
            MultipartPart(name: "image", content: .data(image, filename: "a b.png", contentType: "image/png")),
            .text("return_form", "mask"),
        ])
    }

    @Test func badBodiesAreRefused() {
        let body = Self.body(boundary: "b1", image: Data([1, 2, 3]), returnForm: nil)
        #expect(throws: MultipartBody.Failure.self) { try MultipartBody.parse(body, contentType: "application/json") }
        #expect(throws: MultipartBody.Failure.self) { try MultipartBody.parse(body, contentType: "multipart/form-data; boundary=other") }
        #expect(throws: MultipartBody.Failure.self) {
            try MultipartBody.parse(body.prefix(body.count - 10), contentType: "multipart/form-data; boundary=b1")
        }
    }

    @Test func mockAcceptsRawMultipartBodies() async throws {
        let mock = MockService()
        let request = HTTPRequest(
            method: "POST", url: mock.baseURL.appendingPathComponent("api/cutout/portrait/avatar-extraction"),
            headers: [HTTPHeader("Content-Type", "multipart/form-data; boundary=q")],
            body: .bytes(Self.body(boundary: "q", image: ImageBytes.png(width: 64, height: 64), returnForm: "mask"))
        )
        let response = try await mock.send(request)
        #expect(response.status == 200)
        let element = try #require(try Envelope.decode(response.body, httpStatus: 200).resultElements().first)
        #expect(element.imageURL.lastPathComponent.hasSuffix("-mask.png"))

        var broken = request
        broken.headers = []
        #expect(try await mock.send(broken).status == 400)
    }
}
