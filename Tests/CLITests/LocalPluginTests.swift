import Foundation
import HeadExtraction
import Testing
import TestSupport

/// The offline `local` plugin through `assets`, when it is installed (`scripts/install-backend
/// local`; CI installs it). Its boxes are scored against the hand labels in
/// `backends/local/labels.json`.
@Suite(.serialized, .enabled(if: LocalPlugin.isInstalled, "the local plugin is not installed here; run scripts/install-backend local to run these"))
struct LocalPluginTests {
    let folder = TemporaryDirectory("local-plugin")
    let assets = Repository.product("assets")

    func extract(_ name: String, _ extra: [String] = []) async throws -> (ProcessResult, [String: Any]) {
        let photo = Repository.root.appendingPathComponent("backends/local/testdata/\(name)").path
        let result = try await ChildProcess.run(assets, ["extract", photo, "--backend", "local", "--json", "--store", folder.path("store").path, "--out", folder.path("out").path] + extra,
                                                environment: ["ASSETS_BACKEND": nil, "AILAB_API_KEY": nil, "NO_COLOR": "1"])
        let line = try #require(result.lines.first, "\(result.stderrText)")
        return (result, try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]))
    }

    static func iou(_ a: [Int], _ b: [Int]) -> Double {
        let width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
        let height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let both = Double(width * height)
        let union = Double((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - both
        return union > 0 ? both / union : 0
    }

    @Test(arguments: ["grace_hopper.jpg", "astronaut.png"])
    func aRealHeadIsCutOutOfAPortraitOffline(name: String) async throws {
        let labels = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Repository.root.appendingPathComponent("backends/local/labels.json"))) as? [String: Any])
        let label = try #require(((labels[name] as? [String: Any])?["heads"] as? [[Int]])?.first)
        let (result, line) = try await extract(name)
        #expect(result.status == 0, "\(result.stderrText)")
        let element = try #require((line["elements"] as? [[String: Any]])?.first)
        let (x, y, width, height) = (element["x"] as! Int, element["y"] as! Int, element["width"] as! Int, element["height"] as! Int)
        let score = Self.iou([x, y, x + width, y + height], label)
        print("local: \(name) head box IoU \(String(format: "%.3f", score)) with the hand label")
        #expect(score >= 0.7, "IoU \(score)")
        let data = try Data(contentsOf: URL(fileURLWithPath: element["path"] as! String))
        let info = try PNGCodec.decodeInfo(data)
        #expect(info.width == width && info.height == height && info.channels == 4)

        let (_, mask) = try await extract(name, ["--return-form", "mask"])
        let maskElement = try #require((mask["elements"] as? [[String: Any]])?.first)
        #expect(try PNGCodec.decodeInfo(Data(contentsOf: URL(fileURLWithPath: maskElement["path"] as! String))).channels == 1)

        let (_, repeated) = try await extract(name)
        #expect(repeated["cache"] as? String == "hit")
    }

    @Test func aPhotoWithNoFaceIsAContentRefusalCachedAsNegative() async throws {
        let (result, line) = try await extract("coffee.png")
        #expect(result.status == 1)
        let error = try #require(line["error"] as? [String: Any])
        #expect(error["code"] as? String == "ERROR_NO_FACE_IN_FILE")
        #expect(error["class"] as? String == "content")
        let stats = try await ChildProcess.run(assets, ["cache", "stats", "--json", "--store", folder.path("store").path])
        #expect((try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])?["entries"] as? Int == 1)
    }
}

enum LocalPlugin {
    /// Whether `assets-backend-local` is where `assets` looks for it.
    static var isInstalled: Bool {
        let environment = ProcessInfo.processInfo.environment
        var folders = (environment["ASSETS_BACKEND_PATH"] ?? "").split(separator: ":").map(String.init)
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            folders.append(data + "/assets/backends")
        } else if let home = environment["HOME"] {
            folders.append(home + "/.local/share/assets/backends")
        }
        folders += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return folders.contains { FileManager.default.isExecutableFile(atPath: $0 + "/assets-backend-local") }
    }
}
