import AssetStore
import DurableFiles
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HeadExtraction

/// Writes an extraction's PNGs where a person wants them: `<stem>.head.png`,
/// `<stem>.head-2.png`, … (or `.mask` with `return_form=mask`).
///
/// Files are written atomically. A file that already exists with the same bytes is left alone;
/// one with different bytes is an error for that input, unless `force` is set.
public struct ResultExporter: Sendable {
    public var folder: URL
    public var force: Bool

    public init(folder: URL, force: Bool = false) {
        self.folder = folder
        self.force = force
    }

    /// The file names for `count` results of an input called `stem`.
    public static func fileNames(stem: String, count: Int, returnForm: ReturnForm?) -> [String] {
        let kind = returnForm == .mask ? "mask" : "head"
        return (0..<count).map { $0 == 0 ? "\(stem).\(kind).png" : "\(stem).\(kind)-\($0 + 1).png" }
    }

    /// The name of an input without its folder and last extension: `photos/a.jpg` → `a`.
    public static func stem(of name: String) -> String {
        let last = (name as NSString).lastPathComponent
        let stem = (last as NSString).deletingPathExtension
        return stem.isEmpty ? last : stem
    }

    /// Writes every element of `extraction` and returns the absolute paths, in element order.
    ///
    /// Each result is read whole from its file without following a symlink (see
    /// `BlobStore.readRegularFile(at:)` in AssetStore) and checked against its hash before it is
    /// written, so the files written are always regular files holding the result's own bytes.
    /// A target that is a symlink (or anything but a regular file) is in the way like a file
    /// with other bytes.
    ///
    /// - Throws: `APIError` `OUTPUT_EXISTS` before writing anything if a file is in the way,
    ///   `RESULT_UNREADABLE` if a stored result is missing or does not match its hash, or
    ///   `OUTPUT_UNWRITABLE` if the folder cannot be written.
    public func export(_ extraction: Extraction, stem: String, returnForm: ReturnForm?) throws(APIError) -> [URL] {
        let names = Self.fileNames(stem: stem, count: extraction.elements.count, returnForm: returnForm)
        let targets = names.map { folder.appendingPathComponent($0).standardizedFileURL }
        var pending: [(element: Extraction.Element, target: URL)] = []
        for (element, target) in zip(extraction.elements, targets) {
            var info = stat()
            if lstat(target.path, &info) == 0 {
                if (info.st_mode & S_IFMT) == S_IFREG, let existing = try? BlobStore.readRegularFile(at: target),
                   ContentHash.of(existing) == element.sha256 {
                    continue
                }
                guard force else {
                    throw APIError(code: "OUTPUT_EXISTS", errorClass: .input, message: "\(target.path) already exists with different content; replace it, or choose another output folder.")
                }
            }
            pending.append((element, target))
        }
        var contents: [(bytes: Data, target: URL)] = []
        for (element, target) in pending {
            let bytes: Data
            do {
                bytes = try BlobStore.readRegularFile(at: element.fileURL)
            } catch let error as StoreError where error.kind != .corruptBlob {
                throw APIError(code: "RESULT_UNREADABLE", errorClass: .internal, message: error.message)
            } catch {
                throw APIError(code: "RESULT_UNREADABLE", errorClass: .internal, message: "The stored result \(element.sha256.hex) is missing or not a regular file; repair the store and extract again.")
            }
            guard ContentHash.of(bytes) == element.sha256 else {
                throw APIError(code: "RESULT_UNREADABLE", errorClass: .internal, message: "The stored result \(element.sha256.hex) does not match its hash; repair the store and extract again.")
            }
            contents.append((bytes, target))
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (bytes, target) in contents {
                // A reader sees the old file or the new one, never half of one.
                try AtomicFile.write(bytes, to: target)
            }
        } catch {
            let reason = (error as? AtomicFileError)?.reason.lowercased() ?? (error as NSError).localizedDescription
            throw APIError(code: "OUTPUT_UNWRITABLE", errorClass: .internal, message: "Cannot write the results into \(folder.path): \(reason); check the folder or choose another output folder.")
        }
        return targets
    }
}
