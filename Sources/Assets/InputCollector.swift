import Foundation
import HeadExtraction

/// Turns the paths a person typed into the list of photos to extract.
///
/// A file is taken as it is, whatever its name (the probe decides what it is). A folder is
/// walked for images, recursively and sorted, skipping hidden files and folders; a file counts
/// as an image by its first bytes, or by its extension if it is too short or damaged to tell.
/// A photo found in a subfolder keeps that subfolder below the output folder, so that
/// `photos/a.png` and `photos/nested/a.png` do not write over each other.
public enum InputCollector {
    /// One photo to extract, and where its results go relative to the output folder.
    public struct Input: Sendable, Hashable {
        public var source: ImageSource
        /// The subfolder of the output folder, `""` for the output folder itself.
        public var outputSubfolder: String
    }

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "jpe", "png", "bmp", "dib", "gif", "webp", "tif", "tiff", "heic", "heif", "avif"]

    public static func collect(_ paths: [String]) -> [Input] {
        var inputs: [Input] = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                inputs += walk(path, subfolder: "")
            } else {
                inputs.append(Input(source: .file(url), outputSubfolder: ""))
            }
        }
        return inputs
    }

    private static func walk(_ root: String, subfolder: String) -> [Input] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: root) else { return [] }
        var found: [Input] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = (root as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                found += walk(path, subfolder: (subfolder as NSString).appendingPathComponent(name))
            } else if isImage(path) {
                found.append(Input(source: .file(URL(fileURLWithPath: path)), outputSubfolder: subfolder))
            }
        }
        return found
    }

    private static func isImage(_ path: String) -> Bool {
        if imageExtensions.contains((path as NSString).pathExtension.lowercased()) { return true }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        return ImageProbe.looksLikeImage(head)
    }
}
