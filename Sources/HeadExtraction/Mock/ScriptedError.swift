import AssetTransport

/// One scripted answer of ``MockService``.
public struct ScriptedError: Codable, Sendable, Hashable {
    /// An `error_detail.code`, or a ``TransportError`` code when ``throwsTransportError`` is set.
    public var code: String
    /// The status to answer with; `nil` uses the code's current status from ``ErrorCodeTable``.
    public var status: Int?
    /// Sent as a `Retry-After` header, in seconds.
    public var retryAfterSeconds: Int?
    /// A verbatim body instead of the envelope, to simulate malformed answers.
    public var body: String?
    /// Throw `TransportError(code)` instead of answering.
    public var throwsTransportError: Bool

    public init(_ code: String, status: Int? = nil, retryAfterSeconds: Int? = nil, body: String? = nil, throwsTransportError: Bool = false) {
        self.code = code
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
        self.body = body
        self.throwsTransportError = throwsTransportError
    }

    enum CodingKeys: String, CodingKey {
        case code, status, retryAfterSeconds, body, throwsTransportError
    }

    /// Decodes with only `code` required.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try container.decode(String.self, forKey: .code),
            status: try container.decodeIfPresent(Int.self, forKey: .status),
            retryAfterSeconds: try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds),
            body: try container.decodeIfPresent(String.self, forKey: .body),
            throwsTransportError: try container.decodeIfPresent(Bool.self, forKey: .throwsTransportError) ?? false
        )
    }

    /// A transfer failure such as `.timeout`, thrown instead of an answer.
    public static func transport(_ code: TransportError.Code) -> ScriptedError {
        ScriptedError(code.rawValue, throwsTransportError: true)
    }

    /// A body that is not the API's envelope, answered with `status`.
    public static func malformed(_ body: String, status: Int = 200) -> ScriptedError {
        ScriptedError(Envelope.malformedCode, status: status, body: body)
    }
}
