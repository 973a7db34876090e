/// What ``MockService`` has been asked so far.
public struct MockCounters: Codable, Sendable, Hashable {
    public var extractionCalls = 0
    public var downloads = 0
    public var creditsCalls = 0

    public init() {}
}
