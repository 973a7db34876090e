import Foundation
import HeadExtraction

/// An input photo: a file, or bytes already in memory.
public enum ImageSource: Sendable, Hashable {
    case file(URL)
    /// Bytes with a name to use in messages (and as the output file stem).
    case data(Data, name: String)

    /// The name messages use: the path as given, or the name given with the bytes.
    public var displayName: String {
        switch self {
        case .file(let url): url.relativePath
        case .data(_, let name): name
        }
    }

    /// Reads the bytes, at most one byte past `limit` (the engine's size limit), so that a huge
    /// file is refused without reading it whole.
    func load(limit: Int) throws(APIError) -> Data {
        switch self {
        case .data(let data, _):
            return data
        case .file(let url):
            let name = url.relativePath
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw APIError(code: "FILE_NOT_FOUND", errorClass: .input, message: "\(name) does not exist; check the path.")
            }
            guard !isDirectory.boolValue else {
                throw APIError(code: "UNSUPPORTED_FILE_TYPES", errorClass: .input, message: "\(name) is a folder, not an image file.", httpStatus: 415)
            }
            do {
                let handle = try FileHandle(forReadingFrom: url)
                defer { try? handle.close() }
                return try handle.read(upToCount: limit + 1) ?? Data()
            } catch {
                throw APIError(code: "FILE_UNREADABLE", errorClass: .input, message: "\(name) cannot be read; check its permissions.")
            }
        }
    }
}
