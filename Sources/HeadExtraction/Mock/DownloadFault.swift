/// A fault for one result download.
public enum DownloadFault: String, Codable, Sendable, Hashable, CaseIterable {
    /// The body ends early: throws `TransportError(.truncated)`.
    case truncated
    /// 404 with an object-store XML body.
    case missing
    /// 403 with an object-store XML `AccessDenied` body, as an expired URL answers.
    case expired
    /// A body larger than the limit: throws `TransportError(.tooLarge)`, no file.
    case oversized
}
