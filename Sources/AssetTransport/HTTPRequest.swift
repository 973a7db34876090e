import Foundation

/// One HTTP header field. Order is kept, names compare case-insensitively.
public struct HTTPHeader: Sendable, Hashable, Codable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HTTPHeader {
    /// The first value of the header named `name`, compared case-insensitively.
    public subscript(name name: String) -> String? {
        first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        /// A text field.
        case text(String)
        /// A file streamed from disk when the request is sent.
        case file(URL, filename: String, contentType: String)
        /// A file part whose bytes are already in memory.
        case data(Data, filename: String, contentType: String)
    }

    public var name: String
    public var content: Content

    public init(name: String, content: Content) {
        self.name = name
        self.content = content
    }

    public static func text(_ name: String, _ value: String) -> MultipartPart {
        MultipartPart(name: name, content: .text(value))
    }

    public static func file(_ name: String, _ url: URL, filename: String? = nil, contentType: String = "application/octet-stream") -> MultipartPart {
        MultipartPart(name: name, content: .file(url, filename: filename ?? url.lastPathComponent, contentType: contentType))
    }
}

/// An HTTP request as a value: what to send, never how.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case empty
        case bytes(Data)
        /// A file streamed from disk.
        case file(URL)
        case multipart([MultipartPart])
    }

    public var method: String
    public var url: URL
    public var headers: [HTTPHeader]
    public var body: Body
    /// Total time allowed for this transfer; `nil` uses the transport's default.
    public var timeout: Duration?
    /// Sign the request with AWS Signature Version 4 (``CurlTransport`` only); `nil` sends it
    /// unsigned. Dropped, like the headers, when a redirect leaves the request's origin.
    public var signature: AWSSignature?

    public init(method: String = "GET", url: URL, headers: [HTTPHeader] = [], body: Body = .empty, timeout: Duration? = nil, signature: AWSSignature? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.signature = signature
    }
}

/// An HTTP response as a value.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: Data

    public init(status: Int, headers: [HTTPHeader] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}
