import Assets
import AssetStore
import AssetTransport
import Foundation
import HeadExtraction
import Testing
import TestSupport

/// What every standard backend must do, through the real registry: the same script runs on
/// `mock`, on `remote` against the loopback API, on `record`, and on `replay` of that
/// recording with the server stopped and no key.
@Suite struct BackendContractTests {
    @Test(arguments: ["mock", "remote", "record", "replay"])
    func contract(_ name: String) async throws {
        let folder = TemporaryDirectory("contract")
        let cassette = folder.path("contract.json")
        let server = try await LoopbackServer.start()
        var configuration = BackendConfiguration(apiBase: server.baseURL, apiKey: "sk-test-SECRET-1234567890", cassette: cassette)
        if name == "replay" {
            configuration.recordMode = .all
            try await Self.script("record", configuration: configuration, folder: folder)
            server.stop()
            configuration.apiKey = nil
            configuration.recordMode = nil
        }
        try await Self.script(name, configuration: configuration, folder: folder)
        if name == "remote" || name == "record" {
            #expect(try await server.stats()["extraction_calls"] == 2, "the bad input never reached the server")
        }
    }

    static func script(_ name: String, configuration: BackendConfiguration, folder: TemporaryDirectory) async throws {
        let store = try Store(at: folder.path("store-\(name)"))
        var settings = AssetManagerConfiguration()
        settings.retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1))
        let engine = try await BackendRegistry.standard.makeEngine(name, configuration: configuration, manager: settings)
        #expect(engine.identity.name == name)
        let manager = AssetManager(store: store, engine: engine, configuration: settings)
        let uncached = ExtractOptions(useCache: false)

        // A cutout: RGBA PNGs whose size is the element's size.
        let cutout = try await manager.extract(gracePhoto, options: uncached)
        #expect(!cutout.elements.isEmpty)
        for element in cutout.elements {
            let data = try Data(contentsOf: element.fileURL)
            #expect(ContentHash.of(data) == element.sha256)
            let info = try PNGCodec.decodeInfo(data)
            #expect(info.channels == 4)
            #expect(info.width == element.width && info.height == element.height)
            #expect(element.x >= 0 && element.y >= 0)
        }

        // A mask: single-channel.
        let mask = try await manager.extract(astronautPhoto, options: ExtractOptions(api: APIOptions(returnForm: .mask), useCache: false))
        for element in mask.elements {
            #expect(try PNGCodec.decodeInfo(Data(contentsOf: element.fileURL)).channels == 1)
        }

        // A bad input is refused before the backend sees it.
        let gif = folder.path("b.pdf")
        try Data("%PDF-1.4\n".utf8).write(to: gif)
        await #expect { try await manager.extract(.file(gif), options: uncached) } throws: { ($0 as? APIError)?.code == "UNSUPPORTED_FILE_TYPES" }

        // Balances.
        let balances = try await manager.credits()
        #expect(balances.contains { $0.uniqueSign == "cutout_avatar_extraction" })

        for folder in [cutout.temporaryFolder, mask.temporaryFolder].compactMap({ $0 }) {
            try? FileManager.default.removeItem(at: folder)
        }
    }
}
