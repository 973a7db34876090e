import Foundation
import Testing
import TestSupport

/// Runs the built `assets` binary as a person would and checks what it prints and returns.
@Suite struct CacheCommandTests {
    let folder = TemporaryDirectory("cli-cache")
    let assets = Repository.product("assets")

    func run(_ arguments: [String], environment: [String: String?] = [:]) async throws -> ProcessResult {
        try await ChildProcess.run(assets, arguments, environment: environment)
    }

    @Test func versionPrintsThePackageVersion() async throws {
        let result = try await run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdoutText == "assets 0.1.0\n")
    }

    @Test func statsOnANewEmptyStorePrintsZeroEntries() async throws {
        let store = folder.path("new-store").path
        let result = try await run(["cache", "stats", "--json", "--store", store])
        #expect(result.status == 0)
        #expect(result.lines.count == 1)
        #expect(result.stdoutText.contains("\"entries\": 0"))
        let object = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        for key in ["entries", "blobs", "bytes", "hits", "misses", "upstream_calls", "credits_saved"] {
            #expect(object[key] as? Int == 0, "\(key)")
        }
        #expect(FileManager.default.fileExists(atPath: store + "/catalog.sqlite"), "the store is created on first use")
    }

    @Test func verifyAndGCOnAnEmptyStoreExitZero() async throws {
        let store = folder.path("empty").path
        let verify = try await run(["cache", "verify", "--store", store])
        #expect(verify.status == 0)
        #expect(verify.stdoutText.contains("all intact"))
        let gc = try await run(["cache", "gc", "--max-size", "0", "--store", store])
        #expect(gc.status == 0)
        let verifyJSON = try await run(["cache", "verify", "--json", "--store", store])
        let object = try #require(try JSONSerialization.jsonObject(with: verifyJSON.stdout) as? [String: Any])
        #expect(object["blobs_checked"] as? Int == 0)
    }

    @Test func theStoreComesFromTheEnvironmentWhenNoFlagIsGiven() async throws {
        let store = folder.path("from-env")
        let result = try await run(["cache", "stats"], environment: ["ASSETS_STORE": store.path])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: store.appendingPathComponent("catalog.sqlite").path))
        let xdg = folder.path("xdg")
        let fromXDG = try await run(["cache", "stats"], environment: ["ASSETS_STORE": nil, "XDG_CACHE_HOME": xdg.path])
        #expect(fromXDG.status == 0)
        #expect(FileManager.default.fileExists(atPath: xdg.appendingPathComponent("assets/catalog.sqlite").path))
    }

    @Test(arguments: ["file", "file/below"])
    func aStorePathThatCannotBeAStoreGivesOneErrorLineAndStatus2(_ relative: String) async throws {
        try Data("not a folder".utf8).write(to: folder.path("file"))
        let result = try await run(["cache", "stats", "--store", folder.path(relative).path])
        #expect(result.status == 2)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("Error: ") == true)
        #expect(result.stdout.isEmpty)
    }

    @Test func aCorruptCatalogGivesOneErrorLineAndStatus2() async throws {
        let store = folder.path("corrupt")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 4096).write(to: store.appendingPathComponent("catalog.sqlite"))
        let result = try await run(["cache", "ls", "--store", store.path])
        #expect(result.status == 2)
        #expect(result.stderrText.hasPrefix("Error: "))
        #expect(result.stderrText.split(separator: "\n").count == 1)
    }

    @Test func badSizesAreUsageErrors() async throws {
        let result = try await run(["cache", "gc", "--max-size", "lots", "--store", folder.path("s").path])
        #expect(result.status == 64)
        #expect(result.stderrText.contains("--max-size"))
    }
}
