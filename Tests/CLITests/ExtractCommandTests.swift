import AssetStore
import Foundation
import HeadExtraction
import Testing
import TestSupport

/// `assets extract`, run as a person would, against a loopback server that speaks the API.
@Suite(.serialized) struct ExtractCommandTests {
    let folder = TemporaryDirectory("cli-extract")
    let assets = Repository.product("assets")
    static let key = "sk-test-SECRET-1234567890"

    var store: String { folder.path("store").path }

    func run(_ arguments: [String], server: LoopbackServer?, environment: [String: String?] = [:], in directory: URL? = nil) async throws -> ProcessResult {
        var env: [String: String?] = ["AILAB_API_KEY": Self.key, "ASSETS_STORE": store, "ASSETS_BACKEND": nil, "NO_COLOR": "1"]
        env["AILAB_API_BASE"] = server?.baseURL.absoluteString ?? "http://127.0.0.1:9"
        for (name, value) in environment { env[name] = value }
        return try await ChildProcess.run(assets, arguments, environment: env, currentDirectory: directory)
    }

    /// Copies fixtures into a folder of inputs and returns their paths.
    func photos(_ names: [String]) throws -> [String] {
        let inputs = folder.path("in")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        return try names.map { name in
            let target = inputs.appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: target.path) {
                try FileManager.default.copyItem(at: Repository.fixture(name), to: target)
            }
            return target.path
        }
    }

    func jsonLines(_ result: ProcessResult) throws -> [[String: Any]] {
        try result.lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
    }

    @Test func threePhotosCostThreeCallsAndTheSameThreeAgainCostNoneEvenWithTheServerStopped() async throws {
        let server = try await LoopbackServer.start()
        let inputs = try photos(["grace_hopper.jpg", "astronaut.png", "coffee.png"])
        let out = folder.path("out")

        let first = try await run(["extract"] + inputs + ["--json", "--out", out.path], server: server)
        #expect(first.status == 0, "\(first.stderrText)")
        let lines = try jsonLines(first)
        #expect(lines.count == 3)
        #expect(lines.map { $0["input"] as? String } == inputs, "JSON Lines come out in input order")
        #expect(lines.allSatisfy { $0["cache"] as? String == "miss" })
        #expect(try await server.stats()["extraction_calls"] == 3)

        var written: [String: Data] = [:]
        for (line, input) in zip(lines, inputs) {
            let data = try Data(contentsOf: URL(fileURLWithPath: input))
            #expect(line["sha256"] as? String == ContentHash.of(data).hex)
            let elements = try #require(line["elements"] as? [[String: Any]])
            #expect(elements.count == 1)
            let path = try #require(elements.first?["path"] as? String)
            let stem = (URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent)
            #expect(path == out.appendingPathComponent("\(stem).head.png").path)
            #expect(path.hasPrefix("/"))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(elements.first?["sha256"] as? String == ContentHash.of(bytes).hex)
            for key in ["width", "height", "x", "y"] { #expect(elements.first?[key] is Int, "\(key)") }
            written[path] = bytes
        }

        server.stop()
        let again = try await run(["extract"] + inputs + ["--json", "--out", out.path], server: nil)
        #expect(again.status == 0, "\(again.stderrText)")
        let hits = try jsonLines(again)
        #expect(hits.map { $0["cache"] as? String } == ["hit", "hit", "hit"])
        for (path, bytes) in written {
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        }

        let stats = try await run(["cache", "stats", "--json"], server: nil)
        let object = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        #expect(object["entries"] as? Int == 3)
        #expect(object["hits"] as? Int == 3)
        #expect(object["misses"] as? Int == 3)
        #expect(object["upstream_calls"] as? Int == 3)
        #expect(object["credits_saved"] as? Int == 3)
    }

    @Test func tenMalformedInputsCostNoCallAndGiveTenJSONErrors() async throws {
        let server = try await LoopbackServer.start()
        let bad = folder.path("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        let jpeg = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        let png = try Data(contentsOf: Repository.fixture("astronaut.png"))
        let files: [(String, Data)] = [
            ("empty.jpg", Data()),
            ("anim.gif", Data("GIF89a\u{10}\u{00}\u{10}\u{00}".utf8) + Data(count: 64)),
            ("notes.png", Data("just some text, not an image".utf8)),
            ("cut.jpg", jpeg.prefix(jpeg.count / 2)),
            ("cut.png", png.prefix(png.count / 2)),
            ("huge.jpg", jpeg + Data(count: 3_200_000)),
            ("tiny.png", try Self.png(width: 32, height: 32)),
            ("wide.png", try Self.png(width: 2000, height: 40)),
            ("page.pdf", Data("%PDF-1.4\n".utf8) + Data(count: 100)),
        ]
        var inputs: [String] = []
        for (name, data) in files {
            try data.write(to: bad.appendingPathComponent(name))
            inputs.append(bad.appendingPathComponent(name).path)
        }
        inputs.append(bad.appendingPathComponent("missing.jpg").path)

        // As the API would refuse them (FitCommandTests has what fitting does with the same ten).
        let result = try await run(["extract"] + inputs + ["--fit", "never", "--json", "--out", folder.path("out").path], server: server)
        #expect(result.status == 1)
        let lines = try jsonLines(result)
        #expect(lines.count == 10)
        #expect(lines.map { $0["input"] as? String } == inputs)
        var codes: [String] = []
        for line in lines {
            let error = try #require(line["error"] as? [String: Any], "\(line)")
            #expect(error["class"] as? String == "input")
            let message = try #require(error["message"] as? String)
            #expect(!message.isEmpty && !message.contains("\n"))
            codes.append(try #require(error["code"] as? String))
        }
        #expect(codes[0] == "UNSUPPORTED_FILE_TYPES")
        #expect(codes[1] == "UNSUPPORTED_FILE_TYPES")
        #expect(codes[3] == "FILE_DECODING_FAILURE")
        #expect(codes[4] == "FILE_DECODING_FAILURE")
        #expect(codes[5] == "FILE_SIZE_EXCEEDS_LIMIT")
        #expect(codes[6] == "ERROR_LOW_RESOLUTION")
        #expect(codes[7] == "FILE_RESOLUTION_EXCEEDS_LIMITS")
        #expect(try await server.stats()["extraction_calls"] == 0)
        let stats = try await run(["cache", "stats", "--json"], server: nil)
        #expect(stats.stdoutText.contains("\"entries\": 0"))
    }

    @Test func oneBadFileNeverStopsTheOthers() async throws {
        let server = try await LoopbackServer.start()
        let good = try photos(["grace_hopper.jpg"])
        let gif = folder.path("in/b.pdf")
        try Data("%PDF-1.4\n".utf8).write(to: gif)
        let result = try await run(["extract", gif.path] + good + ["--out", folder.path("out").path], server: server)
        #expect(result.status == 1)
        #expect(result.lines == [folder.path("out/grace_hopper.head.png").path], "stdout lists the files written")
        let errors = result.stderrText.split(separator: "\n")
        #expect(errors.contains { $0.contains("b.pdf") && $0.contains("UNSUPPORTED_FILE_TYPES") })
        #expect(errors.last?.contains("1 done") == true, "a summary closes the run: \(result.stderrText)")
        #expect(try await server.stats()["extraction_calls"] == 1)
    }

    @Test func fourProcessesAskingForOneNewPhotoCauseOneCall() async throws {
        let server = try await LoopbackServer.start(arguments: ["--latency-ms", "1500"])
        let input = try photos(["grace_hopper.jpg"])[0]
        var env = ProcessInfo.processInfo.environment
        env["AILAB_API_KEY"] = Self.key
        env["AILAB_API_BASE"] = server.baseURL.absoluteString
        env["ASSETS_STORE"] = store
        let processes = try (0..<4).map { index -> (Process, Pipe) in
            let process = Process()
            process.executableURL = assets
            process.arguments = ["extract", input, "--json", "--out", folder.path("out-\(index)").path]
            process.environment = env
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, pipe)
        }
        var outcomes: [String] = []
        for (process, pipe) in processes {
            let output = try await ChildProcess.onOwnThread { pipe.fileHandleForReading.readDataToEndOfFile() }
            await ChildProcess.wait(for: process)
            #expect(process.terminationStatus == 0)
            let line = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            outcomes.append(line["cache"] as? String ?? "?")
        }
        #expect(try await server.stats()["extraction_calls"] == 1)
        #expect(outcomes.sorted() == ["hit", "hit", "hit", "miss"])
        let bytes = try (0..<4).map { try Data(contentsOf: folder.path("out-\($0)/grace_hopper.head.png")) }
        #expect(Set(bytes).count == 1)
    }

    @Test func theKeyIsNeverAtRestInTheStore() async throws {
        let server = try await LoopbackServer.start()
        let inputs = try photos(["grace_hopper.jpg", "astronaut.png"])
        let result = try await run(["extract"] + inputs + ["--return-form", "mask", "--out", folder.path("out").path], server: server)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(!result.stderrText.contains(Self.key) && !result.stdoutText.contains(Self.key))
        let key = Data(Self.key.utf8)
        let enumerator = try #require(FileManager.default.enumerator(atPath: store))
        var files = 0
        for case let path as String in enumerator {
            let url = URL(fileURLWithPath: store).appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            files += 1
            #expect(data.range(of: key) == nil, "\(path) holds the key")
        }
        #expect(files >= 5)
    }

    @Test func anExistingOutputWithOtherBytesIsAnErrorUnlessForced() async throws {
        let server = try await LoopbackServer.start()
        let input = try photos(["grace_hopper.jpg"])[0]
        let out = folder.path("out")
        #expect(try await run(["extract", input, "--out", out.path], server: server).status == 0)
        let target = out.appendingPathComponent("grace_hopper.head.png")
        let original = try Data(contentsOf: target)
        #expect(try await run(["extract", input, "--out", out.path], server: server).status == 0, "the same bytes are left alone")

        try Data("someone else's file".utf8).write(to: target)
        let refused = try await run(["extract", input, "--json", "--out", out.path], server: server)
        #expect(refused.status == 1)
        #expect(refused.stdoutText.contains("OUTPUT_EXISTS"))
        #expect(try Data(contentsOf: target) == Data("someone else's file".utf8))

        let forced = try await run(["extract", input, "--force", "--out", out.path], server: server)
        #expect(forced.status == 0)
        #expect(try Data(contentsOf: target) == original)
    }

    @Test func aFolderIsWalkedSortedSkippingHiddenFiles() async throws {
        let server = try await LoopbackServer.start()
        let photosFolder = folder.path("photos")
        try FileManager.default.createDirectory(at: photosFolder.appendingPathComponent("nested"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: photosFolder.appendingPathComponent(".hidden"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Repository.fixture("grace_hopper.jpg"), to: photosFolder.appendingPathComponent("b.jpg"))
        try FileManager.default.copyItem(at: Repository.fixture("astronaut.png"), to: photosFolder.appendingPathComponent("nested/a.png"))
        try FileManager.default.copyItem(at: Repository.fixture("coffee.png"), to: photosFolder.appendingPathComponent("a.png"))
        try FileManager.default.copyItem(at: Repository.fixture("grace_hopper.jpg"), to: photosFolder.appendingPathComponent(".secret.jpg"))
        try FileManager.default.copyItem(at: Repository.fixture("grace_hopper.jpg"), to: photosFolder.appendingPathComponent(".hidden/c.jpg"))
        try Data("notes".utf8).write(to: photosFolder.appendingPathComponent("notes.txt"))

        let result = try await run(["extract", photosFolder.path, "--json", "--out", folder.path("out").path], server: server)
        #expect(result.status == 0, "\(result.stderrText)")
        let lines = try jsonLines(result)
        let inputs = lines.compactMap { $0["input"] as? String }
        #expect(inputs == ["a.png", "b.jpg", "nested/a.png"].map { photosFolder.appendingPathComponent($0).path })
        let paths = lines.compactMap { (($0["elements"] as? [[String: Any]])?.first?["path"]) as? String }
        #expect(paths == ["a.head.png", "b.head.png", "nested/a.head.png"].map { folder.path("out/\($0)").path }, "a subfolder keeps its place below --out")
    }

    @Test func theRemoteBackendWithoutAKeyIsAConfigurationError() async throws {
        let input = try photos(["grace_hopper.jpg"])[0]
        let result = try await run(["extract", input], server: nil, environment: ["AILAB_API_KEY": nil])
        #expect(result.status == 2)
        #expect(result.stderrText.hasPrefix("Error: "))
        #expect(result.stderrText.contains("AILAB_API_KEY"))
        #expect(result.stderrText.split(separator: "\n").count == 1)
    }

    @Test func plainHTTPToAnotherHostIsRefusedUnlessAllowed() async throws {
        let input = try photos(["grace_hopper.jpg"])[0]
        let result = try await run(["extract", input], server: nil, environment: ["AILAB_API_BASE": "http://api.example.com"])
        #expect(result.status == 2)
        #expect(result.stderrText.contains("--allow-insecure-http"))
    }

    /// A whole, valid PNG of the given size, so that only its size is wrong.
    static func png(width: Int, height: Int) throws -> Data {
        try PNGCodec.encode(width: width, height: height, pixels: [UInt8](repeating: 0x80, count: width * height * 4), format: .rgba)
    }
}
