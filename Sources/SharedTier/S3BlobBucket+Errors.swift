import AssetTransport
import Foundation

extension S3BlobBucket {
    /// The `<Code>` of an S3 error body, if it has one.
    static func s3Code(_ body: Data) -> String? {
        S3XML(body, leaves: ["Code"])?.first("Code")
    }

    /// A ``SharedTierError`` for an answer S3 gave that the call did not expect.
    func classify(_ response: HTTPResponse, doing action: String) -> SharedTierError {
        let xml = S3XML(response.body, leaves: ["Code", "Message", "RequestId"])
        let s3Code = xml?.first("Code")
        let requestID = xml?.first("RequestId") ?? response.headers[name: "x-amz-request-id"]
        let status = response.status
        let said = s3Code.map { " (\(status) \($0))" } ?? " (HTTP \(status))"
        let bucket = location.bucket
        let (kind, message): (SharedTierError.Kind, String)
        switch (status, s3Code) {
        case (500..., _), (429, _), (408, _), (409, "ConditionalRequestConflict"?), (400, "RequestTimeout"?):
            (kind, message) = (.transient, "Could not \(action) in bucket \(bucket): S3 is unavailable or busy\(said); try again later.")
        case (403, "SignatureDoesNotMatch"?):
            (kind, message) = (.configuration, "Could not \(action) in bucket \(bucket): S3 rejected the request signature\(said); check AWS_SECRET_ACCESS_KEY and the region.")
        case (403, "InvalidAccessKeyId"?):
            (kind, message) = (.configuration, "Could not \(action) in bucket \(bucket): S3 does not know the access key\(said); check AWS_ACCESS_KEY_ID.")
        case (403, "ExpiredToken"?), (403, "InvalidToken"?), (400, "ExpiredToken"?), (400, "InvalidToken"?):
            (kind, message) = (.configuration, "Could not \(action) in bucket \(bucket): the session token is expired or invalid\(said); renew AWS_SESSION_TOKEN.")
        case (403, _):
            (kind, message) = (.configuration, "Could not \(action) in bucket \(bucket): access denied\(said); check the credentials and that the key may read and write the bucket.")
        case (404, "NoSuchBucket"?):
            (kind, message) = (.configuration, "Could not \(action): bucket \(bucket) does not exist at \(location.host); create it or fix ASSETS_SHARED_BLOBS.")
        case (301, _), (307, _), (400, "AuthorizationHeaderMalformed"?), (400, "IllegalLocationConstraintException"?):
            (kind, message) = (.configuration, "Could not \(action): bucket \(bucket) is not in region \(location.region)\(said); set ?region= in ASSETS_SHARED_BLOBS to the bucket's region.")
        default:
            (kind, message) = (.configuration, "Could not \(action) in bucket \(bucket): S3 answered\(said); check ASSETS_SHARED_BLOBS and the bucket's settings.")
        }
        let code = kind == .transient ? SharedTierError.unavailableCode : SharedTierError.configurationCode
        return SharedTierError(kind, code: code, scrubbed(message), status: status, s3Code: s3Code.map(scrubbed), requestID: requestID.map(scrubbed))
    }

    /// A ``SharedTierError`` for a transfer that got no answer.
    func classify(_ error: TransportError, doing action: String) -> SharedTierError {
        let bucket = location.bucket
        switch error.code {
        case .schemeRefused:
            return .configuration(scrubbed("Could not \(action) in bucket \(bucket): \(error.message)"))
        case .tooLarge:
            return SharedTierError(.corrupt, code: SharedTierError.corruptCode, scrubbed("Could not \(action) in bucket \(bucket): the object is larger than \(options.maxObjectBytes) bytes, more than any blob, so it was refused unread; delete it, or raise the limit if blobs are that large."))
        default:
            if error.isTransient {
                return SharedTierError(.transient, code: SharedTierError.unavailableCode, scrubbed("Could not \(action) in bucket \(bucket): \(error.message)"))
            }
            return .configuration(scrubbed("Could not \(action) in bucket \(bucket): \(error.message)"))
        }
    }

    /// `text` with the secret key and the token cut out, should a server ever echo them.
    private func scrubbed(_ text: String) -> String {
        Redaction.redact(text, secrets: signature.secrets)
    }
}
