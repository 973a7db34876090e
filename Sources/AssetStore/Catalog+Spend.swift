import Foundation
import GRDB

extension Catalog {
    /// Takes one engine call of `day`'s allowance of `limit` calls, across every process on
    /// this store: `true` when taken, `false` when `limit` calls were taken that day already.
    ///
    /// - Parameter day: the UTC day, as ``spendDay(of:)`` names it.
    public func takeDailyCall(day: String, limit: Int) throws -> Bool {
        guard limit > 0 else { return false }
        return try write { db in
            try db.execute(
                sql: "INSERT INTO spend (day, calls) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET calls = calls + 1 WHERE calls < ?",
                arguments: [day, limit]
            )
            return db.changesCount == 1
        }
    }

    /// Gives back a call taken by ``takeDailyCall(day:limit:)`` that was never made.
    public func returnDailyCall(day: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE spend SET calls = max(calls - 1, 0) WHERE day = ?", arguments: [day])
        }
    }

    /// The engine calls taken on `day`.
    public func dailyCalls(day: String) throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT calls FROM spend WHERE day = ?", arguments: [day]) ?? 0 }
    }

    /// The UTC day of `date`, as the spend guard counts it: `2026-12-02`.
    public static func spendDay(of date: Date) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
