import Foundation

/// The image to upload: a file streamed from disk when the request is sent, or bytes in memory.
public enum ImageUpload: Sendable, Hashable {
    /// A file the transport reads while sending; HeadExtraction itself never reads it.
    case file(URL)
    case data(Data)
}
