import Foundation

/// One extraction as the catalog holds it: the question (action and input keys, options,
/// namespace), the API's answer, and the result elements.
public struct CatalogEntry: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, Codable {
        /// The API answered and its answer is stored; the result files are not yet.
        case pending
        /// Every element's blob is stored.
        case ok
        /// A negative result: the API's deterministic refusal of these bytes.
        case failed
    }

    public var id: Int64
    public var actionKey: ContentHash
    public var inputKey: ContentHash
    public var operation: String
    public var options: String
    public var namespace: String
    public var state: State
    public var errorCode: String?
    public var errorMessage: String?
    public var requestID: String?
    public var logID: String?
    /// The blob holding the API's raw response body.
    public var responseKey: ContentHash?
    public var inputSize: Int64
    public var createdAt: Date
    public var lastUsedAt: Date
    public var hitCount: Int64
    public var elements: [Element]
    /// What was sent, when the photo was fitted to the engine's limits first.
    public var fitted: FittedUpload? = nil

    /// One result image and where it sits in the input.
    public struct Element: Sendable, Hashable {
        public var position: Int
        /// `nil` while the entry is pending.
        public var blobKey: ContentHash?
        /// The API's temporary URL, kept only while the entry is pending.
        public var sourceURL: String?
        public var width: Int
        public var height: Int
        public var x: Int
        public var y: Int

        public init(position: Int, blobKey: ContentHash? = nil, sourceURL: String? = nil, width: Int, height: Int, x: Int, y: Int) {
            self.position = position
            self.blobKey = blobKey
            self.sourceURL = sourceURL
            self.width = width
            self.height = height
            self.x = x
            self.y = y
        }
    }
}

/// What identifies an extraction, before there is an answer.
public struct ExtractionIdentity: Sendable, Hashable {
    public var actionKey: ContentHash
    public var inputKey: ContentHash
    public var operation: String
    public var options: String
    public var namespace: String
    public var inputSize: Int64
    /// What is sent instead of the input, when the input is fitted to the engine's limits.
    public var fitted: FittedUpload?

    public init(actionKey: ContentHash, inputKey: ContentHash, operation: String, options: String, namespace: String, inputSize: Int64, fitted: FittedUpload? = nil) {
        self.actionKey = actionKey
        self.inputKey = inputKey
        self.operation = operation
        self.options = options
        self.namespace = namespace
        self.inputSize = inputSize
        self.fitted = fitted
    }
}

/// The upload made from a photo fitted to an engine's limits: its SHA-256 and pixel size.
public struct FittedUpload: Sendable, Hashable {
    public var sha256: ContentHash
    public var width: Int
    public var height: Int

    public init(sha256: ContentHash, width: Int, height: Int) {
        self.sha256 = sha256
        self.width = width
        self.height = height
    }
}
