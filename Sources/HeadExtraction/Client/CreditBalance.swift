import Foundation

/// One credit balance of the account, from `GET /api/common/query-credits`.
///
/// Head Extraction's ``uniqueSign`` is `cutout_avatar_extraction`; universal credits are `common`.
/// Decoding is lenient: numbers may be integers, floats or numeric strings, and missing
/// fields read as empty or zero.
public struct CreditBalance: Sendable, Hashable, Codable {
    /// The product the credits are for, such as `cutout_avatar_extraction` or `common`.
    public var uniqueSign: String
    /// The product's display name.
    public var name: String
    /// Credits left.
    public var balance: Double
    /// Credits bought in all.
    public var total: Double

    public init(uniqueSign: String, name: String, balance: Double, total: Double) {
        self.uniqueSign = uniqueSign
        self.name = name
        self.balance = balance
        self.total = total
    }

    enum CodingKeys: String, CodingKey {
        case uniqueSign = "unique_sign", name, balance, total
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uniqueSign = container.lenientString(forKey: .uniqueSign) ?? ""
        name = container.lenientString(forKey: .name) ?? ""
        balance = container.lenientDouble(forKey: .balance) ?? 0
        total = container.lenientDouble(forKey: .total) ?? 0
    }
}

/// The `data` array of a credits answer.
struct CreditsPayload: Decodable {
    var data: [CreditBalance]?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        data = container.lenient([CreditBalance].self, forKey: .data)
    }

    enum CodingKeys: String, CodingKey { case data }
}
