import AssetStore
import Foundation
import HeadExtraction
import Testing
import TestSupport

/// `assets` as the host of backend plugins (protocol v1), against `Tests/Support/test_plugin.py`:
/// a plugin written from the contract alone, with a fault for each way a plugin can fail.
@Suite(.serialized) struct PluginHostTests {
    let folder = TemporaryDirectory("plugin-host")
    let assets = Repository.product("assets")
    var plugins: URL { folder.path("plugins") }
    var log: URL { folder.path("plugin.log") }

    /// Installs `assets-backend-NAME` running the test plugin in `mode`, with `environment`.
    func install(_ name: String, mode: String, environment: [String: String] = [:]) throws {
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        let script = Repository.support("test_plugin.py").path
        let file = plugins.appendingPathComponent("assets-backend-" + name)
        let variables = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value) " }.joined()
        try Data("#!/bin/sh\nexec env \(variables)python3 '\(script)' \(mode) \"$@\"\n".utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
    }

    func run(_ arguments: [String], store: String? = "store") async throws -> ProcessResult {
        try await ChildProcess.run(assets, arguments + (store.map { ["--store", folder.path($0).path] } ?? []), environment: [
            "ASSETS_BACKEND_PATH": plugins.path, "ASSETS_BACKEND": nil, "NO_COLOR": "1", "AILAB_API_KEY": nil,
            "TEST_PLUGIN_LOG": log.path, "XDG_DATA_HOME": folder.path("xdg").path,
        ])
    }

    func extract(_ photos: [String], backend: String, _ extra: [String] = [], store: String = "store") async throws -> (ProcessResult, [[String: Any]]) {
        let inputs = try photos.map { name -> String in
            let target = folder.path("in").appendingPathComponent(name)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: target.path) { try FileManager.default.copyItem(at: Repository.fixture(name), to: target) }
            return target.path
        }
        let result = try await run(["extract"] + inputs + ["--backend", backend, "--json", "--out", folder.path("out-\(backend)").path] + extra, store: store)
        let lines = try result.lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "stdout holds JSON lines only, not: \(line)")
        }
        return (result, lines)
    }

    func entries(_ store: String = "store") async throws -> Int {
        let stats = try await run(["cache", "stats", "--json"], store: store)
        return try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])["entries"] as? Int ?? -1
    }

    func code(_ line: [String: Any]) -> String? { (line["error"] as? [String: Any])?["code"] as? String }

    @Test func aPluginAnswersMissesAndTheRepeatIsAHitWithoutStartingModels() async throws {
        try install("painter", mode: "ok")
        let (first, lines) = try await extract(["grace_hopper.jpg", "astronaut.png"], backend: "painter", ["--jobs", "2"])
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(lines.map { $0["cache"] as? String } == ["miss", "miss"])
        for line in lines {
            let element = try #require((line["elements"] as? [[String: Any]])?.first)
            let data = try Data(contentsOf: URL(fileURLWithPath: try #require(element["path"] as? String)))
            let info = try PNGCodec.decodeInfo(data)
            #expect(info.width == element["width"] as? Int && info.height == element["height"] as? Int)
            #expect(info.channels == 4)
            #expect(ContentHash.of(data).hex == element["sha256"] as? String)
        }
        let events = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(events.filter { $0 == "start" }.count == 1, "one process serves the batch: \(events)")
        #expect(events.last == "shutdown", "told to stop when done: \(events)")

        try? FileManager.default.removeItem(at: log)
        let (second, repeated) = try await extract(["grace_hopper.jpg", "astronaut.png"], backend: "painter")
        #expect(second.status == 0)
        #expect(repeated.map { $0["cache"] as? String } == ["hit", "hit"])
        let again = try String(contentsOf: log, encoding: .utf8)
        #expect(!again.contains("extract"), "a hit never reaches the plugin")
    }

    /// Only answers of the paid API save a credit when they are repeated: `cache stats` counts the
    /// hits on plugin and mock answers, and saves nothing for them.
    @Test(arguments: ["painter", "mock"])
    func hitsOnAPluginOrTheMockSaveNoCreditsInCacheStats(backend: String) async throws {
        try install("painter", mode: "ok")
        let store = "store-" + backend
        for expected in ["miss", "hit", "hit"] {
            let (result, lines) = try await extract(["grace_hopper.jpg"], backend: backend, store: store)
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(lines.map { $0["cache"] as? String } == [expected])
        }
        let stats = try await run(["cache", "stats", "--json"], store: store)
        #expect(stats.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        #expect(object["hits"] as? Int == 2)
        #expect(object["misses"] as? Int == 1)
        #expect(object["credits_saved"] as? Int == 0, "a \(backend) answer never cost a credit")
    }

    @Test func aPluginTakesPhotosWithinItsOwnLimitsNotTheAPIs() async throws {
        try install("painter", mode: "ok")
        // 2400 px wide: more than the API takes, fewer pixels than the plugin's max_pixels.
        let wide = try PNGCodec.encode(width: 2400, height: 300, pixels: [UInt8](repeating: 120, count: 2400 * 300 * 4), format: .rgba)
        try FileManager.default.createDirectory(at: folder.path("in"), withIntermediateDirectories: true)
        try wide.write(to: folder.path("in/wide.png"))
        let (result, lines) = try await extract(["wide.png"], backend: "painter")
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(lines.first?["cache"] as? String == "miss")
        #expect(try String(contentsOf: log, encoding: .utf8).contains("extract"))
    }

    @Test func aMaskIsGreyAndItsOwnEntry() async throws {
        try install("painter", mode: "ok")
        let (result, lines) = try await extract(["grace_hopper.jpg"], backend: "painter", ["--return-form", "mask"])
        #expect(result.status == 0)
        let element = try #require((lines.first?["elements"] as? [[String: Any]])?.first)
        let data = try Data(contentsOf: URL(fileURLWithPath: try #require(element["path"] as? String)))
        #expect(try PNGCodec.decodeInfo(data).channels == 1)
    }

    @Test func neverMoreRequestsInFlightThanItsConcurrency() async throws {
        try install("slowpainter", mode: "slow")
        let names = ["grace_hopper.jpg", "astronaut.png", "coffee.png"]
        let (result, _) = try await extract(names, backend: "slowpainter", ["--jobs", "8"])
        #expect(result.status == 0, "\(result.stderrText)")
        let flights = try flightsAndStarts().flights
        #expect(flights.count == 3)
        #expect((flights.max() ?? 0) <= 2, "the plugin said concurrency 2: \(flights)")
    }

    @Test(arguments: [
        ("crash", "PLUGIN_CRASHED", "transient"),
        ("garbage", "PLUGIN_PROTOCOL_ERROR", "internal"),
        ("outside", "PLUGIN_BAD_RESULT", "internal"),
        ("wrongsize", "PLUGIN_BAD_RESULT", "internal"),
        ("proto99", "PLUGIN_INCOMPATIBLE", "internal"),
    ])
    func aFaultyPluginGetsItsCodeCachesNothingAndTheNextRequestWorks(mode: String, code: String, errorClass: String) async throws {
        try install("faulty", mode: mode)
        let (result, lines) = try await extract(["grace_hopper.jpg"], backend: "faulty", store: "store-\(mode)")
        #expect(result.status == 1)
        let error = try #require(lines.first?["error"] as? [String: Any])
        #expect(error["code"] as? String == code, "\(error)")
        #expect(error["class"] as? String == errorClass)
        #expect((error["message"] as? String)?.isEmpty == false)
        #expect(try await entries("store-\(mode)") == 0, "nothing cached")
        if mode == "crash" {
            #expect((error["message"] as? String)?.contains("out of cheese") == true, "quotes the plugin's last stderr line")
            #expect(result.lines.count == 1, "the plugin's stderr never reaches stdout")
        }
        // The same photo, once the plugin behaves, is extracted.
        try install("faulty", mode: "ok")
        let (fixed, after) = try await extract(["grace_hopper.jpg"], backend: "faulty", store: "store-\(mode)")
        #expect(fixed.status == 0)
        #expect(after.first?["cache"] as? String == "miss")
    }

    @Test(arguments: ["garbage-once", "outside-once", "wrongsize-once"])
    func afterOneBadAnswerTheNextPhotoOfTheBatchWorks(mode: String) async throws {
        try install("flaky", mode: mode)
        let (result, lines) = try await extract(["grace_hopper.jpg", "astronaut.png"], backend: "flaky", ["--jobs", "1"], store: "store-\(mode)")
        #expect(result.status == 1)
        #expect(lines.count == 2)
        // Whichever photo went first got the bad answer; the other was extracted.
        #expect(lines.filter { code($0) != nil }.count == 1, "\(lines)")
        #expect(lines.filter { $0["cache"] as? String == "miss" }.count == 1, "\(lines)")
        #expect(try await entries("store-\(mode)") == 1)
    }

    @Test func transientFailuresAndACrashOnceAreRetried() async throws {
        for mode in ["transient-once", "crash-once"] {
            try install("retried", mode: mode)
            let (result, lines) = try await extract(["grace_hopper.jpg"], backend: "retried", store: "store-\(mode)")
            #expect(result.status == 0, "\(mode): \(lines)")
            #expect(lines.first?["cache"] as? String == "miss")
        }
    }

    @Test func aHungPluginTimesOutAndIsReplaced() async throws {
        try install("hung", mode: "hang-once")
        let (result, lines) = try await extract(["grace_hopper.jpg"], backend: "hung", ["--timeout", "1"])
        // The first request times out and the plugin is replaced; the retry gets a new process.
        #expect(result.status == 0, "\(lines)")
        #expect(try flightsAndStarts().starts >= 1)

        try install("hung2", mode: "hang")
        let (stuck, stuckLines) = try await extract(["astronaut.png"], backend: "hung2", ["--timeout", "1"], store: "store-hang")
        #expect(stuck.status == 1)
        #expect(code(stuckLines[0]) == "PLUGIN_TIMEOUT")
        #expect(try await entries("store-hang") == 0)
    }

    /// The in-flight counts the plugin logged, and how many processes started.
    func flightsAndStarts() throws -> (flights: [Int], starts: Int) {
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let flights = lines.compactMap { line in line.firstMatch(of: /in-flight=(\d+)/).map { Int($0.1)! } }
        return (flights, lines.filter { $0.hasPrefix("start") }.count)
    }

    /// A plugin of concurrency 1 whose first request hangs: the timed-out request keeps its
    /// place until the process is replaced, so the retry never lands beside it.
    @Test func aTimedOutRequestKeepsItsPlaceUntilItsProcessIsReplaced() async throws {
        try install("single", mode: "hang-once", environment: ["TEST_PLUGIN_CONCURRENCY": "1"])
        let (result, lines) = try await extract(["grace_hopper.jpg"], backend: "single", ["--timeout", "1"])
        #expect(result.status == 0, "\(lines) \(result.stderrText)")
        #expect(lines.first?["cache"] as? String == "miss")
        let (flights, starts) = try flightsAndStarts()
        #expect(flights == [1, 1], "the retry went to a new process, alone: \(flights)")
        #expect(starts == 2)
        #expect(try String(contentsOf: log, encoding: .utf8).contains("cancel"), "the plugin was told to stop the first")
    }

    /// The same, with a plugin that answers the cancel: the place is free again at its answer,
    /// and the same process takes the retry.
    @Test func aCancelThePluginAnswersFreesThePlaceWithoutARestart() async throws {
        try install("single", mode: "hang-once", environment: ["TEST_PLUGIN_CONCURRENCY": "1", "TEST_PLUGIN_ANSWER_CANCEL": "1"])
        let (result, lines) = try await extract(["grace_hopper.jpg"], backend: "single", ["--timeout", "1"])
        #expect(result.status == 0, "\(lines) \(result.stderrText)")
        let (flights, starts) = try flightsAndStarts()
        #expect(flights == [1, 1], "\(flights)")
        #expect(starts == 1, "a plugin that answered is not replaced")
    }

    @Test func aContentRefusalIsCachedAsNegative() async throws {
        try install("blind", mode: "noface")
        let (first, lines) = try await extract(["coffee.png"], backend: "blind")
        #expect(first.status == 1)
        #expect(code(lines[0]) == "ERROR_NO_FACE_IN_FILE")
        try? FileManager.default.removeItem(at: log)
        let (_, again) = try await extract(["coffee.png"], backend: "blind")
        #expect(code(again[0]) == "ERROR_NO_FACE_IN_FILE")
        #expect(!((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("extract"), "answered from the cache")
    }

    @Test func backendsListsPluginsShadowedAndBroken() async throws {
        try install("painter", mode: "ok")
        try install("mock", mode: "ok")
        try install("old", mode: "proto99")
        try install("silent", mode: "crash-at-start")
        let result = try await run(["backends"], store: nil)
        #expect(result.status == 0)
        let lines = result.lines
        #expect(lines.contains { $0.hasPrefix("remote") && $0.contains("built-in") })
        #expect(lines.contains { $0.hasPrefix("painter") && $0.contains("version 1.0.0") && $0.contains("test-painter") && $0.contains(plugins.path) })
        #expect(lines.contains { $0.hasPrefix("mock") && $0.contains("shadowed") })
        #expect(lines.contains { $0.hasPrefix("old") && $0.contains("broken") && $0.contains("PLUGIN_INCOMPATIBLE") })
        #expect(lines.contains { $0.hasPrefix("silent") && $0.contains("broken") && $0.contains("cannot load models") })
    }

    @Test func pluginCheckPassesAGoodPluginAndFailsABadOne() async throws {
        try install("painter", mode: "ok")
        let good = try await run(["plugin", "check", "painter"], store: nil)
        #expect(good.status == 0, "\(good.stdoutText)")
        for check in ["hello", "ready", "extract (cutout)", "extract (mask)", "no face", "cancel", "shutdown"] {
            #expect(good.lines.contains { $0.contains(" \(check): ") }, "\(check) in \(good.stdoutText)")
        }
        #expect(good.lines.last == "passed")

        try install("broken", mode: "wrongsize")
        let bad = try await run(["plugin", "check", "broken"], store: nil)
        #expect(bad.status == 1)
        #expect(bad.lines.contains { $0.hasPrefix("failed") && $0.contains("extract (cutout)") && $0.contains("10x10") })
    }

    @Test func anUnknownBackendIsAConfigurationError() async throws {
        let result = try await run(["extract", Repository.fixture("grace_hopper.jpg").path, "--backend", "nowhere"])
        #expect(result.status == 2)
        #expect(result.stderrText.hasPrefix("Error: "))
        #expect(result.stderrText.contains("nowhere"))
    }
}
