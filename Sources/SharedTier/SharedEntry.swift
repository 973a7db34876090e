import AssetStore
import Foundation

/// One answered action key in the shared catalog: every host of the fleet may answer from it.
///
/// A success lists its heads, whose PNGs are objects in the bucket named by their SHA-256; a
/// refusal of the photo's content (no face) is kept too, so that no host pays for it again.
public struct SharedEntry: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case ok
        case failed
    }

    public struct Element: Sendable, Hashable {
        public var position: Int
        public var blobKey: ContentHash
        public var blobSize: Int64
        public var width: Int
        public var height: Int
        public var x: Int
        public var y: Int

        public init(position: Int, blobKey: ContentHash, blobSize: Int64, width: Int, height: Int, x: Int, y: Int) {
            self.position = position
            self.blobKey = blobKey
            self.blobSize = blobSize
            self.width = width
            self.height = height
            self.x = x
            self.y = y
        }
    }

    /// The keys and options it answers, as the local catalog holds them.
    public var identity: ExtractionIdentity
    public var state: State
    public var errorCode: String?
    public var errorMessage: String?
    public var requestID: String?
    public var elements: [Element]
    /// The host that paid for it.
    public var host: String

    public init(identity: ExtractionIdentity, state: State, errorCode: String? = nil, errorMessage: String? = nil, requestID: String?, elements: [Element], host: String) {
        self.identity = identity
        self.state = state
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.requestID = requestID
        self.elements = elements
        self.host = host
    }
}

/// What the shared catalog holds, for `assets cache stats`.
public struct SharedStats: Sendable, Hashable, Codable {
    /// Answered action keys.
    public var entries: Int64
    /// Heads referenced by them (objects in the bucket, counted once each).
    public var blobs: Int64
    /// Their total size in bytes.
    public var bytes: Int64
    /// Calls made under a lease, however they ended.
    public var paidCalls: Int64
    /// Answers the tier gave to hosts that did not have them: each a call not made.
    public var callsSaved: Int64
    /// Those of them in a namespace that charges credits (the real API's).
    public var creditsSaved: Int64
    /// Action keys answered by more than one call: each extra call a double payment.
    public var doublePaid: Int64
    /// Leases held now.
    public var leases: Int64

    enum CodingKeys: String, CodingKey {
        case entries, blobs, bytes, leases
        case paidCalls = "paid_calls"
        case callsSaved = "calls_saved"
        case creditsSaved = "credits_saved"
        case doublePaid = "double_paid"
    }
}

/// How a paid call under a lease ended, as the ledger records it.
public enum PaidCallOutcome: String, Sendable {
    /// Answered with heads.
    case answered
    /// Answered with a refusal of the photo (no face): paid, and kept.
    case refused
    /// Failed (a timeout, an outage): whether it cost a credit is the API's to say.
    case failed
    /// Not made after all: refused before it was sent (a spend limit, a photo the engine
    /// would refuse).
    case notMade = "not_made"
}

/// A lease on one action key: while it is held, its holder makes the paid call and the other
/// hosts wait for the answer.
public struct SharedLease: Sendable, Hashable {
    public var actionKey: ContentHash
    public var token: UUID
    /// The ledger row of the call made under it, once one was started.
    public var callID: Int64?
}

/// The answer to a claim.
public enum LeaseClaim: Sendable, Hashable {
    /// This host holds the lease: it makes the call.
    case owned(SharedLease)
    /// Another host does, until about `expiresAt` unless it heartbeats.
    case held(by: String, expiresAt: Date)
}
