/// What ``MockService`` has been asked so far.
public struct MockCounters: Codable, Sendable, Hashable {
    /// `POST` extraction calls, failed ones included.
    public var extractionCalls = 0
    /// Result image requests, through `download` or `send`.
    public var downloads = 0
    /// `GET` credits calls.
    public var creditsCalls = 0

    public init() {}
}
