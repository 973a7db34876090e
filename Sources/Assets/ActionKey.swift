import AssetStore
import HeadExtraction

/// The key an answer is stored under: the input, the operation, its options and the backend's
/// namespace. The API key is never part of it.
enum ActionKey {
    static let operation = "avatar-extraction"

    static func make(input: ContentHash, options: ExtractionOptions, namespace: String) -> ContentHash {
        ContentHash.of("assets-action-v1\ninput=\(input.hex)\noperation=\(operation)\noptions=\(options.canonicalString)\nnamespace=\(namespace)\n")
    }
}
