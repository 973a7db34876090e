import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AssetsServer

@Suite struct AuthTests {
    let fixture: ServerFixture
    let path = "/api/cutout/portrait/avatar-extraction"

    init() throws {
        fixture = try ServerFixture()
    }

    @Test(arguments: [nil, "", "unknown-key", "client-key-", "client-key-1x", "CLIENT-KEY-1"])
    func missingOrUnknownKeyIsRefusedWithoutAnUpstreamCall(key: String?) async throws {
        let image = try Form.fixture("grace_hopper.jpg")
        let response = try await fixture.test { client in
            try await client.execute(uri: path, method: .post, headers: Form.headers(key: key), body: Form.body(image: image))
        }
        #expect(response.status.code == 401)
        #expect(response.headers[.contentType] == "application/json")
        let envelope = try WireEnvelope(response.body)
        #expect(envelope.error_detail.code == "ERROR_APPLICATIONS_NOT_EXISTS")
        #expect(envelope.error_detail.status_code == 401)
        #expect(envelope.error_code == 401)
        #expect(envelope.data == nil)
        #expect(fixture.extractionCalls == 0)
    }

    @Test func everyConfiguredKeyIsAccepted() async throws {
        let image = try Form.fixture("grace_hopper.jpg")
        for key in [ServerFixture.clientKey, "second-key"] {
            let response = try await fixture.test { client in
                try await client.execute(uri: path, method: .post, headers: Form.headers(key: key), body: Form.body(image: image))
            }
            #expect(response.status == .ok)
        }
        #expect(fixture.extractionCalls == 1)
    }

    @Test func theRefusalNeverEchoesTheKey() async throws {
        let response = try await fixture.test { client in
            try await client.execute(uri: path, method: .post, headers: Form.headers(key: "sk-secret-guess"), body: Form.body(image: Data([1, 2, 3])))
        }
        #expect(!String(buffer: response.body).contains("sk-secret-guess"))
    }

    @Test(arguments: [nil, "", "any-key-at-all"])
    func withoutAuthenticationEveryRequestIsServed(key: String?) async throws {
        let open = try ServerFixture(authentication: ClientAuthentication.none)
        let image = try Form.fixture("grace_hopper.jpg")
        let response = try await open.test { client in
            try await client.execute(uri: path, method: .post, headers: Form.headers(key: key), body: Form.body(image: image))
        }
        #expect(response.status == .ok)
        let envelope = try WireEnvelope(response.body)
        #expect(envelope.data?.elements.count == 1)
        #expect(open.extractionCalls == 1)
    }

    @Test func theChoiceIsExplicitAndTheOldInitializerRequiresKeys() {
        #expect(AssetsServerConfiguration(clientKeys: ClientKeys(["k"])).authentication.admits("k"))
        #expect(!AssetsServerConfiguration(clientKeys: ClientKeys(["k"])).authentication.admits(nil))
        #expect(!AssetsServerConfiguration(authentication: .keys(ClientKeys([]))).authentication.admits(""))
        #expect(AssetsServerConfiguration(authentication: .none).authentication.admits(nil))
    }

    @Test func keysFileSkipsCommentsAndBlankLines() throws {
        let keys = ClientKeys.parseFile("# team keys\n\nalpha\n  beta  \n# gamma\n")
        #expect(keys.count == 2)
        #expect(keys.accepts("alpha"))
        #expect(keys.accepts("beta"))
        #expect(!keys.accepts("gamma"))
        #expect(!keys.accepts("# gamma"))
        #expect(!keys.accepts(""))
        #expect(!keys.accepts(nil))
    }

    @Test func keysComeFromTheFileElseTheEnvironment() throws {
        let fromEnvironment = try ClientKeys.load(file: nil, environment: ["ASSETS_CLIENT_KEYS": "a, b,,c"])
        #expect(fromEnvironment.count == 3)
        #expect(fromEnvironment.accepts("b"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        try Data("# one key\nfile-key\n".utf8).write(to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fromFile = try ClientKeys.load(file: folder.path, environment: ["ASSETS_CLIENT_KEYS": "a"])
        #expect(fromFile.accepts("file-key"))
        #expect(!fromFile.accepts("a"))
    }

    @Test func noKeyAtAllIsAConfigurationProblem() {
        #expect(throws: ConfigurationProblem.self) { try ClientKeys.load(file: nil, environment: [:]) }
        #expect(throws: ConfigurationProblem.self) { try ClientKeys.load(file: nil, environment: ["ASSETS_CLIENT_KEYS": " , "]) }
        #expect(throws: ConfigurationProblem.self) { try ClientKeys.load(file: "/nonexistent/keys", environment: [:]) }
    }

    @Test func constantTimeComparisonIsStillAComparison() {
        #expect(ClientKeys.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ClientKeys.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!ClientKeys.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!ClientKeys.constantTimeEqual(Array("abc".utf8), []))
        // Lengths that differ by a multiple of 256 must not compare equal.
        #expect(!ClientKeys.constantTimeEqual([], Array(repeating: 0, count: 256)))
    }
}
