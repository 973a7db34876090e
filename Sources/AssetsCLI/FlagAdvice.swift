import Assets
import AssetStore
import AssetTransport
import HeadExtraction

/// The command line's half of a fix. The libraries say what to do in their own terms ("use
/// another store folder", "record it again from scratch"); this adds the flag that does it, by
/// the error's kind or code, wherever the CLI prints an error.
enum FlagAdvice {
    /// Where the CLI takes the API key from, for a library error or a backend that has none.
    static let apiKeyAdvice = "Set AILAB_API_KEY or pass --api-key-file FILE."

    /// The flags for a store failure of `kind`, if any help.
    static func advice(for kind: StoreError.Kind) -> String? {
        switch kind {
        case .unusableLocation, .newerCatalog, .foreignCatalog, .readOnly, .permissionDenied:
            "Pass --store DIR (or set ASSETS_STORE) to use another store folder."
        case .corruptBlob, .malformedRow:
            "Run `assets cache verify --repair` to repair the store."
        case .io:
            "Run `assets cache verify` to check the store."
        case .corruptCatalog, .diskFull, .tooManyOpenFiles:
            // The message's fix (move the catalog aside, free space, raise ulimit) needs no flag.
            nil
        }
    }

    /// The flags for an extraction, transfer or credits failure, by its stable code and class.
    static func advice(forCode code: String, errorClass: ErrorClass? = nil) -> String? {
        switch code {
        case TransportError.Code.replayMiss.rawValue:
            return "Record it with --backend record --cassette FILE --record-mode new and AILAB_API_KEY set."
        case TransportError.Code.cassette.rawValue:
            return "Record it with --backend record --cassette FILE and AILAB_API_KEY set (--record-mode all records it again from scratch)."
        case TransportError.Code.schemeRefused.rawValue:
            return "To allow plain http you trust, pass --allow-insecure-http or set ASSETS_ALLOW_HTTP=1."
        case "MISSING_API_KEY":
            return apiKeyAdvice
        case "OUTPUT_EXISTS":
            return "Pass --force to replace it, or choose another folder with --out."
        case "OUTPUT_UNWRITABLE":
            return "Choose another folder with --out."
        case "RESULT_UNREADABLE", "STORE_CORRUPT":
            return "Run `assets cache verify --repair`, then extract again."
        case "PLUGIN_TIMEOUT":
            return "Pass --timeout SECONDS to allow more time."
        case "UNSUPPORTED_PARAMETER_VALUES":
            return "--return-form mask asks for masks; leave it out for cutouts."
        default:
            return errorClass == .auth ? "Check the key in AILAB_API_KEY or the file given with --api-key-file." : nil
        }
    }

    static func message(_ error: StoreError) -> String {
        appending(advice(for: error.kind), to: error.message)
    }

    /// `error` with the flag advice added to its message; code, class and request id unchanged.
    static func advised(_ error: APIError) -> APIError {
        var advised = error
        advised.message = appending(advice(forCode: error.code, errorClass: error.errorClass), to: error.message)
        return advised
    }

    /// The message of any error the CLI reports as one `Error:` line.
    static func message(_ error: any Error) -> String {
        switch error {
        case let error as StoreError: message(error)
        case let error as APIError: advised(error).message
        case let error as TransportError: appending(advice(forCode: error.code.rawValue), to: error.message)
        case let error as ConfigurationError: appending(advice(for: error.kind), to: error.message)
        default: "\(error)"
        }
    }

    static func advice(for kind: ConfigurationError.Kind) -> String? {
        switch kind {
        case .missingAPIKey: apiKeyAdvice
        case .missingCassette: "Pass --cassette FILE."
        case .recordModeRefused: "Pass --record-mode none, or --backend record to record."
        case .other: nil
        }
    }

    private static func appending(_ advice: String?, to message: String) -> String {
        guard let advice else { return message }
        let ended = message.hasSuffix(".") || message.hasSuffix("!") || message.hasSuffix("?")
        return message + (ended ? " " : ". ") + advice
    }
}
