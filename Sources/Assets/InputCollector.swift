import Foundation
import HeadExtraction

/// Turns the paths a person typed into the list of photos to extract.
///
/// A file is taken as it is, whatever its name (the probe decides what it is). A folder is
/// walked for images, recursively and sorted, skipping hidden files and folders; a file counts
/// as an image by its first bytes, or by its extension if it is too short or damaged to tell.
public enum InputCollector {
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "jpe", "png", "bmp", "dib", "gif", "webp", "tif", "tiff", "heic", "heif", "avif"]

    public static func collect(_ paths: [String]) -> [ImageSource] {
        var sources: [ImageSource] = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                sources += walk(path).map { .file(URL(fileURLWithPath: $0)) }
            } else {
                sources.append(.file(url))
            }
        }
        return sources
    }

    private static func walk(_ root: String) -> [String] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: root) else { return [] }
        var found: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = (root as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                found += walk(path)
            } else if isImage(path) {
                found.append(path)
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
