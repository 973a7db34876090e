import Assets
import AssetStore
import AvatarServiceApp
import Foundation
import HeadExtraction
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// The sample web backend, tested through its own routes.
@Suite struct AvatarServiceTests {
    @Test func aPhotoUploadedThroughTheAppsOwnRouteGivesItsAvatarOnceAndThenFromTheStore() async throws {
        let folder = TemporaryDirectory("avatar-service")
        let store = try Store(at: folder.path("store"))
        let service = MockService()
        let manager = AssetManager(store: store, engine: MockEngine(service: service))
        let router = Router()
        AvatarRoutes(manager: manager, store: store).add(to: router)
        let photo = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))

        try await Application(router: router).test(.router) { client in
            let first = try await client.execute(uri: "/avatars", method: .post, body: ByteBuffer(bytes: photo))
            #expect(first.status == .ok)
            let answer = try JSONDecoder().decode(AvatarRoutes.Avatar.self, from: Data(buffer: first.body))
            #expect(answer.sha256 == ContentHash.of(photo).hex)
            #expect(answer.cache == "miss")
            let avatar = try #require(answer.avatar)

            let png = try await client.execute(uri: avatar.url, method: .get)
            #expect(png.status == .ok)
            let info = try PNGCodec.decodeInfo(Data(buffer: png.body))
            #expect((info.width, info.height) == (avatar.width, avatar.height))

            let again = try await client.execute(uri: "/avatars", method: .post, body: ByteBuffer(bytes: photo))
            #expect(try JSONDecoder().decode(AvatarRoutes.Avatar.self, from: Data(buffer: again.body)).cache == "hit")

            let junk = try await client.execute(uri: "/avatars", method: .post, body: ByteBuffer(string: "not a photo"))
            #expect(junk.status == .unprocessableContent)
            #expect(try JSONDecoder().decode(AvatarRoutes.Failure.self, from: Data(buffer: junk.body)).code == "UNSUPPORTED_FILE_TYPES")

            #expect(try await client.execute(uri: "/avatars/\(String(repeating: "0", count: 64)).png", method: .get).status == .notFound)
        }
        #expect(service.counters.value.extractionCalls == 1)
    }
}
