/// When a ``RecordingTransport`` goes upstream, VCR-style.
public enum RecordMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Record only if the cassette file is missing; otherwise replay only.
    case once
    /// Replay what matches; pass anything else upstream and append it.
    case new
    /// Pass everything upstream and record the cassette afresh.
    case all
    /// Replay only; an unrecorded request is a ``TransportError/Code/replayMiss``.
    case none
}
