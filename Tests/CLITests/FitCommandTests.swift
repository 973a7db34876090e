import AssetStore
import Foundation
import HeadExtraction
import Testing
import TestSupport

/// `assets extract --fit`, run as a person would, on the in-process mock.
@Suite(.serialized) struct FitCommandTests {
    let folder = TemporaryDirectory("cli-fit")
    let assets = Repository.product("assets")

    func run(_ arguments: [String]) async throws -> ProcessResult {
        try await ChildProcess.run(assets, arguments, environment: [
            "ASSETS_STORE": folder.path("store").path, "ASSETS_BACKEND": "mock", "AILAB_API_KEY": nil, "NO_COLOR": "1",
        ])
    }

    /// grace_hopper.jpg four times as large (over 1999 px).
    func bigPhoto() async throws -> URL {
        try await FixturePhotos.resized("grace_hopper.jpg", by: 4, to: folder.path("big.jpg"))
    }

    @Test func aBigPhotoIsFittedAndTheJSONSaysWhatWasSent() async throws {
        let big = try await bigPhoto()
        let out = folder.path("out")

        let refused = try await run(["extract", big.path, "--fit", "never", "--json", "--out", out.path])
        #expect(refused.status == 1)
        let refusal = try #require(try JSONSerialization.jsonObject(with: Data(refused.stdoutText.utf8)) as? [String: Any])
        let error = try #require(refusal["error"] as? [String: Any])
        #expect(error["class"] as? String == "input")

        let fitted = try await run(["extract", big.path, "--json", "--out", out.path])
        #expect(fitted.status == 0, "\(fitted.stderrText)")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(fitted.stdoutText.utf8)) as? [String: Any])
        #expect(line["sha256"] as? String == ContentHash.of(try Data(contentsOf: big)).hex, "sha256 is the photo's own")
        let sent = try #require(line["fitted"] as? [String: Any])
        let width = try #require(sent["width"] as? Int)
        let height = try #require(sent["height"] as? Int)
        #expect(max(width, height) <= 1999)
        #expect((sent["sha256"] as? String)?.count == 64)
        let elements = try #require(line["elements"] as? [[String: Any]])
        let path = try #require(elements.first?["path"] as? String)
        let info = try PNGCodec.decodeInfo(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(info.width == elements.first?["width"] as? Int)
        #expect(info.channels == 4)

        let again = try await run(["extract", big.path, "--json", "--out", out.path])
        let hit = try #require(try JSONSerialization.jsonObject(with: Data(again.stdoutText.utf8)) as? [String: Any])
        #expect(hit["cache"] as? String == "hit")
        #expect((hit["fitted"] as? [String: Any])?["sha256"] as? String == sent["sha256"] as? String)

        // A photo that fits as it is has no "fitted".
        let small = try await run(["extract", Repository.fixture("grace_hopper.jpg").path, "--json", "--out", out.path])
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(small.stdoutText.utf8)) as? [String: Any])
        #expect(plain["fitted"] == nil)
    }

    @Test func aBadFitValueIsAUsageError() async throws {
        let result = try await run(["extract", Repository.fixture("grace_hopper.jpg").path, "--fit", "sometimes"])
        #expect(result.status == 64)
        #expect(result.stderrText.contains("--fit"))
    }

    /// What was malformed for the API, with fitting on: the broken files are still refused,
    /// each with class input and at no cost; the oversize ones (huge.jpg, wide.png) are fitted.
    @Test func brokenFilesAreStillRefusedAtNoCostAndOversizeOnesAreFitted() async throws {
        let bad = folder.path("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        let jpeg = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        let png = try Data(contentsOf: Repository.fixture("astronaut.png"))
        func flat(_ width: Int, _ height: Int) throws -> Data {
            try PNGCodec.encode(width: width, height: height, pixels: [UInt8](repeating: 0x80, count: width * height * 4), format: .rgba)
        }
        let refused: [(String, Data, String)] = [
            ("empty.jpg", Data(), "UNSUPPORTED_FILE_TYPES"),
            ("anim.gif", Data("GIF89a\u{10}\u{00}\u{10}\u{00}".utf8) + Data(count: 64), "FILE_DECODING_FAILURE"),
            ("notes.png", Data("just some text, not an image".utf8), "UNSUPPORTED_FILE_TYPES"),
            ("cut.jpg", jpeg.prefix(jpeg.count / 2), "FILE_DECODING_FAILURE"),
            ("cut.png", png.prefix(png.count / 2), "FILE_DECODING_FAILURE"),
            ("tiny.png", try flat(32, 32), "ERROR_LOW_RESOLUTION"),
            ("page.pdf", Data("%PDF-1.4\n".utf8) + Data(count: 100), "UNSUPPORTED_FILE_TYPES"),
        ]
        let fitted: [(String, Data)] = [("huge.jpg", jpeg + Data(count: 3_200_000)), ("wide.png", try flat(2000, 40))]
        var inputs: [String] = []
        for (name, data) in refused.map({ ($0.0, $0.1) }) + fitted {
            try data.write(to: bad.appendingPathComponent(name))
            inputs.append(bad.appendingPathComponent(name).path)
        }
        let result = try await run(["extract"] + inputs + ["--json", "--out", folder.path("out").path])
        #expect(result.status == 1)
        let lines = try result.lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(lines.count == inputs.count)
        for (line, (name, _, code)) in zip(lines, refused) {
            let error = try #require(line["error"] as? [String: Any], "\(name) should be refused: \(line)")
            #expect(error["code"] as? String == code, "\(name)")
            #expect(error["class"] as? String == "input", "\(name)")
        }
        for line in lines.suffix(2) {
            #expect(line["fitted"] is [String: Any], "\(line)")
        }
        let stats = try await ChildProcess.run(assets, ["cache", "stats", "--json", "--store", folder.path("store").path])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdoutText.utf8)) as? [String: Any])
        #expect(object["upstream_calls"] as? Int == 2, "only the two fitted photos were sent")
    }
}
