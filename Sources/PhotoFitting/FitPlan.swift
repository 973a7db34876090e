/// The upright size a fitted photo will have when it is sent.
public struct FitTarget: Sendable, Hashable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// What ``PhotoFitter/plan(_:limits:name:)`` decided for a photo.
public enum FitPlan: Sendable, Hashable {
    /// Send the bytes unchanged: the engine takes them, and they are upright.
    case asIs
    /// Fit the photo first, to this upright size (or smaller, if the byte limit needs it).
    case fit(FitTarget)
}
