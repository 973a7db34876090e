import AssetStore
import HeadExtraction

/// The key an answer is stored under: the input, the operation, its options and the backend's
/// namespace, and for a photo fitted to the engine's limits the fit profile. The API key is
/// never part of it.
public enum ActionKey {
    public static let operation = "avatar-extraction"

    /// The key of one extraction.
    ///
    /// - Parameters:
    ///   - input: the SHA-256 of the bytes sent (the original's, for a fitted photo).
    ///   - options: the API's options, in their canonical form.
    ///   - namespace: the backend's namespace, so answers of different engines never mix.
    ///   - fitProfile: the fitting's version, for a photo that is fitted before it is
    ///     sent; `nil` for one sent byte for byte, whose key is the same as before fitting existed.
    public static func make(input: ContentHash, options: APIOptions, namespace: String, fitProfile: String? = nil) -> ContentHash {
        let fit = fitProfile.map { "fit=\($0)\n" } ?? ""
        return ContentHash.of("assets-action-v1\ninput=\(input.hex)\noperation=\(operation)\noptions=\(options.canonicalString)\nnamespace=\(namespace)\n\(fit)")
    }
}
