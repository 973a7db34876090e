/// A server setting that cannot be used, as one sentence saying what to do.
public struct ConfigurationProblem: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
