import AssetStore
import Assets
import Foundation
import HeadExtraction
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import AssetsServer

/// The drop-in endpoint answers like the API by default; `fit: .auto` (`serve --fit auto`)
/// fits uploads instead and answers with heads at the upload's own resolution.
@Suite struct FittingRouteTests {
    let path = "/api/cutout/portrait/avatar-extraction"

    /// grace_hopper.jpg made 2333 px tall.
    func tallPhoto(in folder: TemporaryDirectory) async throws -> Data {
        try Data(contentsOf: try await FixturePhotos.resized("grace_hopper.jpg", by: 3.8883, to: folder.path("tall.jpg")))
    }

    @Test func byDefaultATallPhotoGetsTheAPIsRefusalAndWithFitAutoItsHeads() async throws {
        let folder = TemporaryDirectory("fit-route")
        let photo = try await tallPhoto(in: folder)

        let strict = try ServerFixture()
        let refused = try await strict.test { client in
            try await client.execute(uri: path, method: .post, headers: Form.headers(key: ServerFixture.clientKey), body: Form.body(image: photo))
        }
        #expect(refused.status.code == 413 || refused.status.code == 400, "the API's refusal of a side over 1999 px")
        #expect(try WireEnvelope(refused.body).error_code != 0)
        #expect(strict.extractionCalls == 0)

        let fitting = try ServerFixture(fit: .auto)
        let (answer, blob) = try await fitting.test { client in
            let answer = try await client.execute(uri: path, method: .post, headers: Form.headers(key: ServerFixture.clientKey), body: Form.body(image: photo))
            let imageURL = try #require(try WireEnvelope(answer.body).data?.elements.first?.image_url)
            let url = try #require(URL(string: imageURL))
            let blob = try await client.execute(uri: url.path, method: .get)
            return (answer, blob)
        }
        #expect(answer.status == .ok)
        #expect(fitting.extractionCalls == 1)
        let element = try #require(try WireEnvelope(answer.body).data?.elements.first)
        let info = try PNGCodec.decodeInfo(Data(buffer: blob.body))
        #expect(info.width == element.width && info.height == element.height)
        #expect(info.channels == 4)
        #expect(element.y + element.height <= 2333 && element.height > 0)
    }

    @Test func fittingRaisesTheBodyCapToSixtyFourMiB() {
        #expect(AssetsServerConfiguration(clientKeys: ClientKeys(["k"])).maxBodyBytes == 3_145_728 + 65_536)
        #expect(AssetsServerConfiguration(clientKeys: ClientKeys(["k"]), fit: .auto).maxBodyBytes == 67_108_864 + 65_536)
        #expect(AssetsServerConfiguration(clientKeys: ClientKeys(["k"]), maxBodyBytes: 1000, fit: .auto).maxBodyBytes == 1000)
    }
}
