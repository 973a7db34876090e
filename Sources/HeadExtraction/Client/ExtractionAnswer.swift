import Foundation

/// A successful extraction: the API's ids, the heads it found, and the body it sent.
public struct ExtractionAnswer: Sendable, Hashable {
    /// The API's `request_id`: quote it to the vendor.
    public var requestID: String?
    /// The API's `log_id`.
    public var logID: String?
    /// One element per head, in the API's order; download each ``ResultElement/imageURL`` at once.
    public var elements: [ResultElement]
    /// The response body exactly as received, for the catalog.
    public var rawBody: Data
    /// Attempts made, the successful one included.
    public var attempts: Int

    public init(requestID: String?, logID: String?, elements: [ResultElement], rawBody: Data, attempts: Int) {
        self.requestID = requestID
        self.logID = logID
        self.elements = elements
        self.rawBody = rawBody
        self.attempts = attempts
    }
}
