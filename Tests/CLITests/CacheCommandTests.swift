import Foundation
import GRDB
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

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

    /// libvips and the 60 libraries only it needs are opened when a photo is first fitted, not at
    /// every start: a command that fits nothing never loads them.
    @Test func aStartThatFitsNothingDoesNotLoadLibvips() async throws {
        let result = try await run(["--version"], environment: ["LD_DEBUG": "files"])
        #expect(result.status == 0)
        #expect(result.stderrText.contains("libswiftCore"), "the loader's trace is read: \(result.stderrText.prefix(200))")
        #expect(!result.stderrText.contains("libvips"))
        let stats = try await run(["cache", "stats", "--store", folder.path("vips-free").path], environment: ["LD_DEBUG": "files"])
        #expect(stats.status == 0)
        #expect(!stats.stderrText.contains("libvips"))
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
        // The store says "use a folder"; the command line adds the flag that does it.
        #expect(lines.first?.contains("--store DIR") == true)
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

    /// A store holding the mock backend's answers for the three fixtures.
    func filledStore(_ name: String) async throws -> URL {
        let store = folder.path(name)
        let inputs = ["grace_hopper.jpg", "astronaut.png", "coffee.png"].map { Repository.fixture($0).path }
        let result = try await run(["extract"] + inputs + ["--backend", "mock", "--quiet", "--out", folder.path("out-\(name)").path, "--store", store.path])
        #expect(result.status == 0, "\(result.stderrText)")
        return store
    }

    @Test func aReadOnlyStoreCanBeInspectedButNotRepaired() async throws {
        let store = try await filledStore("read-only")
        // Root ignores permissions: run the commands as nobody, who cannot write the store.
        var prefix: [String] = []
        if getuid() == 0 {
            let probe = try? await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/true"])
            guard probe?.status == 0 else {
                print("skipped aReadOnlyStoreCanBeInspectedButNotRepaired: setpriv cannot drop root here")
                return
            }
            prefix = ["--reuid=65534", "--regid=65534", "--clear-groups", assets.path]
        }
        #expect(chmodTree(store, removingWrite: true))
        defer { _ = chmodTree(store, removingWrite: false) }
        func runUnprivileged(_ arguments: [String]) async throws -> ProcessResult {
            prefix.isEmpty
                ? try await run(arguments)
                : try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/setpriv"), prefix + arguments, environment: ["HOME": "/nonexistent"])
        }
        let before = try folderSnapshot(store)

        let stats = try await runUnprivileged(["cache", "stats", "--json", "--store", store.path])
        #expect(stats.status == 0, "\(stats.stderrText)")
        #expect(stats.stdoutText.contains("\"entries\": 3"))
        let list = try await runUnprivileged(["cache", "ls", "--store", store.path])
        #expect(list.status == 0, "\(list.stderrText)")
        #expect(list.lines.count == 3)
        let verify = try await runUnprivileged(["cache", "verify", "--store", store.path])
        #expect(verify.status == 0, "\(verify.stderrText)")
        #expect(verify.stdoutText.contains("all intact"))

        let repair = try await runUnprivileged(["cache", "verify", "--repair", "--store", store.path])
        #expect(repair.status == 2)
        let lines = repair.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("Error: ") == true)
        #expect(repair.stderrText.contains("read-only"), "\(repair.stderrText)")
        #expect(try folderSnapshot(store) == before, "nothing in the store changed")
    }

    /// Adds or removes write permission on everything under `url`, with chmod -R.
    func chmodTree(_ url: URL, removingWrite: Bool) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/chmod")
        process.arguments = ["-R", removingWrite ? "a-w" : "u+w", url.path]
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Every file's name and bytes below `url`.
    func folderSnapshot(_ url: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for case let file as URL in FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) ?? FileManager.DirectoryEnumerator() {
            var info = stat()
            if lstat(file.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { files[file.path] = try Data(contentsOf: file) }
        }
        return files
    }

    @Test func aForeignDatabaseAtTheCatalogPathIsRefusedWithOneLine() async throws {
        let store = folder.path("foreign")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let catalog = store.appendingPathComponent("catalog.sqlite")
        let queue = try DatabaseQueue(path: catalog.path)
        try await queue.write { db in try db.execute(sql: "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')") }
        try queue.close()
        let before = try Data(contentsOf: catalog)
        let result = try await run(["cache", "stats", "--store", store.path])
        #expect(result.status == 2)
        #expect(result.stderrText.hasPrefix("Error: "))
        #expect(result.stderrText.contains("not an assets catalog"))
        #expect(result.stderrText.split(separator: "\n").count == 1)
        #expect(try Data(contentsOf: catalog) == before)
    }

    @Test func aMalformedRowIsListedAroundReportedAndRepaired() async throws {
        let store = try await filledStore("malformed")
        let queue = try DatabaseQueue(path: store.appendingPathComponent("catalog.sqlite").path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE extractions SET action_key = x'0102' WHERE id = (SELECT min(id) FROM extractions)")
        }
        try queue.close()

        let list = try await run(["cache", "ls", "--store", store.path])
        #expect(list.status == 0, "\(list.stderrText)")
        #expect(list.lines.count == 2, "the other extractions are listed")
        #expect(list.stderrText.contains("1 malformed catalog row"))
        #expect(list.stderrText.contains("verify --repair"))

        let verify = try await run(["cache", "verify", "--json", "--store", store.path])
        #expect(verify.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: verify.stdout) as? [String: Any])
        #expect((object["malformed_rows"] as? [Any])?.count == 1)

        let repair = try await run(["cache", "verify", "--repair", "--store", store.path])
        #expect(repair.status == 1, "the run found a fault")
        #expect(repair.stdoutText.contains("quarantined 1 malformed row"), "\(repair.stdoutText)")
        let again = try await run(["cache", "verify", "--store", store.path])
        #expect(again.status == 0, "\(again.stdoutText)")
        let quarantine = try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("quarantine").path)
        #expect(quarantine.filter { $0.hasSuffix(".json") }.count == 1)
    }

    @Test func runningOutOfFileDescriptorsIsNamedAndNeverBlamedOnPermissionsOrTakenForCorruption() async throws {
        let store = try await filledStore("descriptors")
        var named = false
        for limit in 6...24 {
            let result = try await ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "ulimit -n \(limit) && exec \"$0\" cache verify --store \"$1\"", assets.path, store.path])
            #expect(result.status != 1, "limit \(limit): a lack of descriptors is no corrupt blob: \(result.stdoutText)")
            #expect(!result.stderrText.lowercased().contains("permission"), "limit \(limit): \(result.stderrText)")
            if result.stderrText.contains("too many open files") || result.stderrText.contains("open-file limit") { named = true }
        }
        #expect(named, "some limit ran out of descriptors and said so")
        let verify = try await run(["cache", "verify", "--store", store.path])
        #expect(verify.status == 0)
    }
}
