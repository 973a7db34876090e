/// One documented `error_detail.code` and its HTTP status before and after the change of 2026-01-08.
public struct ErrorCodeInfo: Sendable, Hashable {
    /// The `error_detail.code`, such as `EXCEEDING_LIMITS`.
    public var code: String
    /// The status the API answers with since 2026-01-08, and the one the mock serves.
    public var status: Int
    /// The status the API answered with before 2026-01-08.
    public var statusBefore2026: Int
    /// The vendor's one-line description.
    public var description: String

    public init(code: String, status: Int, statusBefore2026: Int, description: String) {
        self.code = code
        self.status = status
        self.statusBefore2026 = statusBefore2026
        self.description = description
    }
}

/// The vendor's table of error codes (`api/error-codes.tsv`), generated into ``all``.
public enum ErrorCodeTable {
    private static let byCode: [String: ErrorCodeInfo] = Dictionary(
        all.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first }
    )

    /// The entry for `code`, or `nil` for a code the vendor does not document.
    public static func info(for code: String) -> ErrorCodeInfo? {
        byCode[code]
    }

    /// The status the API answers `code` with today; 500 for an undocumented code.
    public static func status(for code: String) -> Int {
        byCode[code]?.status ?? 500
    }
}
