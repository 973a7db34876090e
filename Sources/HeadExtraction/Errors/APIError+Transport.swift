import AssetTransport
import Foundation

extension APIError {
    /// A transfer failure, keeping its stable code.
    ///
    /// Timeouts, connection failures and truncated bodies are transient. A refused scheme, a
    /// replay miss and an over-limit body are the user's to fix (`input`); an unreadable cassette
    /// is `internal`. `localFileClass` says whose fault an unreadable or unwritable file is:
    /// the upload's (`input`) or the download destination's (`internal`).
    init(_ error: TransportError, localFileClass: ErrorClass = .input, redacting secret: String? = nil) {
        let errorClass: ErrorClass = switch error.code {
        case .schemeRefused, .tooLarge, .replayMiss: .input
        case .localFile: localFileClass
        case .cassette: .internal
        default: error.isTransient ? .transient : .internal
        }
        self.init(code: error.code.rawValue, errorClass: errorClass, message: Redaction.redact(error.message, secrets: [secret]))
    }

    /// Any error a transport threw, as an ``APIError``.
    static func fromTransport(_ error: any Error, localFileClass: ErrorClass = .input, redacting secret: String? = nil) -> APIError {
        switch error {
        case let error as APIError: error
        case let error as TransportError: APIError(error, localFileClass: localFileClass, redacting: secret)
        case is CancellationError: .cancelled
        default: APIError(
            code: TransportError.Code.other.rawValue, errorClass: .transient,
            message: Redaction.redact("The transfer failed (\(error)); try again later.", secrets: [secret])
        )
        }
    }

    /// The task was cancelled before the work finished.
    static let cancelled = APIError(code: "CANCELLED", errorClass: .transient, message: "The request was cancelled before it finished; run it again.")

    /// No API key: refused before any call.
    static let missingKey = APIError(
        code: "MISSING_API_KEY", errorClass: .auth,
        message: "No API key is set; give the client your AILabTools API key."
    )
}

extension APIError {
    /// An extraction of `name` cancelled before it finished: class `transient` wherever it
    /// happens (in a transfer, a plugin or the manager), never cached, worth running again.
    public static func cancelled(_ name: String) -> APIError {
        APIError(code: "CANCELLED", errorClass: .transient, message: "The extraction of \(name) was cancelled before it finished; run it again.")
    }
}
