/// The form of the returned image: the API's `return_form` field.
public enum ReturnForm: String, Sendable, Hashable, Codable, CaseIterable {
    /// A single-channel (gray) mask instead of the 4-channel cutout.
    case mask
}
