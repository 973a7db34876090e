import AssetStore
import Assets
import Foundation
import HeadExtraction
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AssetsServer

/// The routes mounted in someone else's app: their own context, under a group of theirs.
@Suite struct EmbeddingTests {
    let fixture: ServerFixture

    init() throws {
        fixture = try ServerFixture()
    }

    @Test func routesWorkUnderAGroupWithABasicContext() async throws {
        let router = Router()
        router.get("/") { _, _ in "their own home page" }
        addAssetRoutes(
            to: router.group("heads"), manager: fixture.manager,
            configuration: AssetsServerConfiguration(clientKeys: ClientKeys(["embedded-key"]))
        )
        let image = try Form.fixture("grace_hopper.jpg")
        let (answer, blob, theirs) = try await Application(router: router).test(.router) { client in
            let answer = try await client.execute(
                uri: "/heads/api/cutout/portrait/avatar-extraction", method: .post,
                headers: Form.headers(key: "embedded-key"), body: Form.body(image: image)
            )
            let imageURL = try #require(try WireEnvelope(answer.body).data?.elements.first?.image_url)
            let url = try #require(URL(string: imageURL))
            let blob = try await client.execute(uri: url.path, method: .get)
            let theirs = try await client.execute(uri: "/", method: .get)
            return (answer, blob, theirs)
        }
        #expect(answer.status == .ok)
        let imageURL = try #require(try WireEnvelope(answer.body).data?.elements.first?.image_url)
        #expect(imageURL.hasPrefix("http://localhost/heads/blobs/"))
        #expect(blob.status == .ok)
        let hash = try #require(ContentHash(hex: String(imageURL.suffix(68).prefix(64))))
        #expect(Data(buffer: blob.body) == (try fixture.store.blobs.read(hash)))
        #expect(String(buffer: theirs.body) == "their own home page")
    }

    @Test func theirOtherRoutesNeedNoClientKey() async throws {
        let router = Router()
        router.get("/open") { _, _ in "open" }
        addAssetRoutes(to: router, manager: fixture.manager, configuration: AssetsServerConfiguration(clientKeys: ClientKeys(["k"])))
        let response = try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/open", method: .get)
        }
        #expect(response.status == .ok)
    }

    @Test func aManagerWithoutAStoreIsRefusedAtNoCostInsteadOfAnsweringDeadURLs() async throws {
        let router = Router()
        let storeless = AssetManager(store: nil, backend: Backend(name: "mock", transport: fixture.mock, baseURL: fixture.mock.baseURL, namespace: "mock", requiresKey: false))
        addAssetRoutes(to: router, manager: storeless, configuration: AssetsServerConfiguration(clientKeys: ClientKeys(["k"])))
        let image = try Form.fixture("grace_hopper.jpg")
        let response = try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/api/cutout/portrait/avatar-extraction", method: .post, headers: Form.headers(key: "k"), body: Form.body(image: image))
        }
        #expect(response.status == .internalServerError)
        #expect(String(buffer: response.body).contains("STORE_REQUIRED"))
        #expect(fixture.extractionCalls == 0)
    }
}
