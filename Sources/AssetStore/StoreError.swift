import Foundation

/// Why the store cannot be used, as one sentence that says what to do.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The store folder cannot be created, read or written.
        case unusableLocation
        /// The catalog was migrated by a newer `assets`.
        case newerCatalog
        /// The catalog file is not a database or is damaged.
        case corruptCatalog
        /// A blob is missing or does not match its hash.
        case corruptBlob
        /// Any other I/O or SQLite failure.
        case io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
