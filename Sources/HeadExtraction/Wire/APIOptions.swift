/// The options of one extraction, as sent to the API and as part of the cache key.
///
/// ```swift
/// let options = APIOptions(returnForm: .mask)
/// options.canonicalString   // "return_form=mask"
/// ```
public struct APIOptions: Sendable, Hashable, Codable {
    /// `nil` asks for the default 4-channel PNG cutout.
    public var returnForm: ReturnForm?

    public init(returnForm: ReturnForm? = nil) {
        self.returnForm = returnForm
    }

    /// The options as a stable string for cache keys: `""` or `"return_form=mask"`.
    ///
    /// - Important: Options that change the result must appear here, in a fixed order, and
    ///   the string for today's options must never change, or cached results stop matching.
    public var canonicalString: String {
        returnForm.map { "return_form=\($0.rawValue)" } ?? ""
    }
}
