import Foundation

/// Photos made from the committed fixtures for tests that need more than the fixtures are.
public enum FixturePhotos {
    /// `grace_hopper.jpg` made into `count` distinct photos (a JPEG comment each): new photos
    /// to the store, the same pixels to an engine.
    public static func distinct(_ count: Int) throws -> [Data] {
        let original = try Data(contentsOf: Repository.fixture("grace_hopper.jpg"))
        return (0..<count).map { index in
            let comment = Array("photo \(index)".utf8)
            var bytes = Data(original.prefix(2))
            bytes.append(contentsOf: [0xFF, 0xFE, 0x00, UInt8(comment.count + 2)] + comment)
            bytes.append(original.dropFirst(2))
            return bytes
        }
    }

    /// `fixture` scaled `factor` times by `vips resize` (libvips-tools) into `output`, saved as
    /// a JPEG of quality 90.
    public static func resized(_ fixture: String, by factor: Double, to output: URL) async throws -> URL {
        let made = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["vips", "resize", Repository.fixture(fixture).path, output.path + "[Q=90]", String(factor)])
        guard made.status == 0 else { throw FixturePhotoError(message: "vips resize failed (install libvips-tools): \(made.stderrText)") }
        return output
    }
}

public struct FixturePhotoError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
