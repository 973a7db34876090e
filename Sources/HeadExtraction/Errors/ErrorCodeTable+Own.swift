/// One error code of this project's own (not the vendor's), with its class and the status
/// `assets serve` answers it with.
public struct OwnErrorCode: Sendable, Hashable {
    public var code: String
    public var errorClass: ErrorClass
    /// The HTTP status when served; `nil` where the code never reaches a client of `serve`
    /// (a local file of the command line).
    public var status: Int?
    /// What it means, in a few words.
    public var meaning: String
}

extension ErrorCodeTable {
    /// Every code of this project's own, beside the vendor's in ``all``. `Docs/ErrorCodes.md`
    /// is written from both, and a test checks that every code the sources throw is in one.
    public static let own: [OwnErrorCode] = [
        OwnErrorCode(code: "CANCELLED", errorClass: .transient, status: 502, meaning: "the extraction was cancelled before it finished"),
        OwnErrorCode(code: "TRANSPORT_TIMEOUT", errorClass: .transient, status: 502, meaning: "the connect or total timeout ran out"),
        OwnErrorCode(code: "TRANSPORT_CONNECTION", errorClass: .transient, status: 502, meaning: "DNS, a refused or reset connection, TLS"),
        OwnErrorCode(code: "TRANSPORT_ERROR", errorClass: .transient, status: 502, meaning: "any other transfer failure"),
        OwnErrorCode(code: "TRANSPORT_SCHEME_REFUSED", errorClass: .input, status: 500, meaning: "a URL that is not http(s), or plain http to a non-loopback host"),
        OwnErrorCode(code: "TRANSPORT_LOCAL_FILE", errorClass: .input, status: 500, meaning: "a local file could not be read or written"),
        OwnErrorCode(code: "DOWNLOAD_TOO_LARGE", errorClass: .input, status: 500, meaning: "a result larger than the download cap (32 MiB)"),
        OwnErrorCode(code: "DOWNLOAD_TRUNCATED", errorClass: .transient, status: 502, meaning: "a body shorter or longer than its Content-Length"),
        OwnErrorCode(code: "REPLAY_MISS", errorClass: .input, status: 500, meaning: "a request the replayed cassette does not hold"),
        OwnErrorCode(code: "CASSETTE_ERROR", errorClass: .internal, status: 500, meaning: "a cassette that cannot be read or written"),
        OwnErrorCode(code: "MALFORMED_RESPONSE", errorClass: .transient, status: 502, meaning: "an answer that is not the API's envelope"),
        OwnErrorCode(code: "MISSING_API_KEY", errorClass: .auth, status: 500, meaning: "no API key for a backend that needs one"),
        OwnErrorCode(code: "NO_CREDITS", errorClass: .input, status: nil, meaning: "credits asked of a backend that uses none"),
        OwnErrorCode(code: "PIXEL_LIMIT_EXCEEDED", errorClass: .input, status: 413, meaning: "a photo over the pixel limit, refused from its header"),
        OwnErrorCode(code: "SPEND_LIMIT_REACHED", errorClass: .credits, status: 429, meaning: "the spend guard's cap on calls is reached; no call was made"),
        OwnErrorCode(code: "FILE_NOT_FOUND", errorClass: .input, status: nil, meaning: "an input path that does not exist"),
        OwnErrorCode(code: "FILE_UNREADABLE", errorClass: .input, status: nil, meaning: "an input file that cannot be read"),
        OwnErrorCode(code: "INPUT_UNREADABLE", errorClass: .input, status: nil, meaning: "an input that cannot be read"),
        OwnErrorCode(code: "OUTPUT_EXISTS", errorClass: .input, status: nil, meaning: "an output file exists with other bytes (use --force)"),
        OwnErrorCode(code: "OUTPUT_UNWRITABLE", errorClass: .internal, status: nil, meaning: "the output folder cannot be written"),
        OwnErrorCode(code: "RESULT_DOWNLOAD_FAILED", errorClass: .transient, status: 502, meaning: "a result could not be downloaded"),
        OwnErrorCode(code: "RESULT_EXPIRED", errorClass: .transient, status: 502, meaning: "a result URL that died before its download"),
        OwnErrorCode(code: "RESULT_NOT_PNG", errorClass: .transient, status: 502, meaning: "a result (or a mask) that is not a PNG"),
        OwnErrorCode(code: "RESULT_UNREADABLE", errorClass: .internal, status: 500, meaning: "a stored result that cannot be read"),
        OwnErrorCode(code: "RESULT_URL_REFUSED", errorClass: .input, status: 500, meaning: "a result URL with a scheme or host that is never fetched"),
        OwnErrorCode(code: "RESULT_OUT_OF_BOUNDS", errorClass: .internal, status: 500, meaning: "a head placed outside the photo the engine was sent"),
        OwnErrorCode(code: "PLUGIN_CRASHED", errorClass: .transient, status: 502, meaning: "the plugin's process died (its last stderr lines in the message)"),
        OwnErrorCode(code: "PLUGIN_TIMEOUT", errorClass: .transient, status: 502, meaning: "a plugin request ran past its deadline"),
        OwnErrorCode(code: "PLUGIN_PROTOCOL_ERROR", errorClass: .internal, status: 500, meaning: "a plugin broke the protocol"),
        OwnErrorCode(code: "PLUGIN_BAD_RESULT", errorClass: .internal, status: 500, meaning: "a plugin's result file failed its checks; nothing was stored"),
        OwnErrorCode(code: "PLUGIN_INCOMPATIBLE", errorClass: .internal, status: 500, meaning: "a plugin speaks another protocol version"),
        OwnErrorCode(code: "PLUGIN_START_TIMEOUT", errorClass: .internal, status: 500, meaning: "a plugin did not say hello in time"),
        OwnErrorCode(code: "STORE_FULL", errorClass: .internal, status: 507, meaning: "the disk (or quota) holding the store is full"),
        OwnErrorCode(code: "STORE_READ_ONLY", errorClass: .internal, status: 500, meaning: "the store cannot be written"),
        OwnErrorCode(code: "STORE_CORRUPT", errorClass: .internal, status: 500, meaning: "a damaged catalog, row or blob"),
        OwnErrorCode(code: "STORE_ERROR", errorClass: .internal, status: 500, meaning: "any other store failure"),
        OwnErrorCode(code: "STORE_REQUIRED", errorClass: .internal, status: 500, meaning: "the server's manager has no store"),
        OwnErrorCode(code: "SHARED_TIER_UNAVAILABLE", errorClass: .transient, status: 503, meaning: "the shared tier (PostgreSQL, the bucket) cannot be reached"),
        OwnErrorCode(code: "SHARED_TIER_CONFIGURATION", errorClass: .internal, status: 500, meaning: "the shared tier's URL, credentials, bucket or permissions are wrong"),
        OwnErrorCode(code: "SHARED_BLOB_CORRUPT", errorClass: .internal, status: 500, meaning: "an object in the bucket does not match its name; it is never served"),
        OwnErrorCode(code: "SHARED_BLOB_MISMATCH", errorClass: .internal, status: 500, meaning: "bytes put under a name they do not hash to; refused"),
        OwnErrorCode(code: "INTERNAL_ERROR", errorClass: .internal, status: 500, meaning: "a bug: report it"),
    ]
}
