import Foundation

/// The image to upload: a file streamed from disk when the request is sent, or bytes in memory.
public enum ImageUpload: Sendable, Hashable {
    case file(URL)
    case data(Data)

    /// The bytes, reading the file if needed (the mock and tests use this; real uploads stream).
    func bytes() throws -> Data {
        switch self {
        case .file(let url): try Data(contentsOf: url)
        case .data(let data): data
        }
    }
}
