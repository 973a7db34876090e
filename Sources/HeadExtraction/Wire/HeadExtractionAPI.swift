import AssetTransport
import Foundation

/// The Head Extraction API's endpoints and how to build requests for them.
///
/// ```swift
/// let request = HeadExtractionAPI.extractionRequest(
///     baseURL: HeadExtractionAPI.defaultBaseURL, image: .file(photo), format: probed.format,
///     options: APIOptions(), apiKey: key)
/// ```
public enum HeadExtractionAPI {
    /// `POST`: the Head Extraction endpoint.
    public static let extractionPath = "/api/cutout/portrait/avatar-extraction"
    /// `GET`: the account's credit balances.
    public static let creditsPath = "/api/common/query-credits"
    /// The vendor's API host.
    public static let defaultBaseURL = URL(string: "https://www.ailabapi.com")!
    /// The header that carries the API key.
    public static let apiKeyHeader = "ailabapi-api-key"
    /// The multipart field of the image.
    public static let imageField = "image"
    /// The multipart field of ``ReturnForm``.
    public static let returnFormField = "return_form"

    /// The multipart `POST` of one image.
    ///
    /// The file part is named `image.<ext>` for the probed format whatever the local name is,
    /// so the request depends only on the bytes and options (stable for cassettes) and no local
    /// file name leaves the machine.
    /// - Parameters:
    ///   - format: the format ``ImageProbe`` found; it sets the part's content type.
    ///   - apiKey: sent as `ailabapi-api-key` only when given and not empty.
    ///   - timeout: the total time for the call; `nil` uses the transport's default.
    public static func extractionRequest(
        baseURL: URL, image: ImageUpload, format: ImageFormat, options: APIOptions,
        apiKey: String?, timeout: Duration? = nil
    ) -> HTTPRequest {
        let filename = "image.\(format.fileExtension)"
        let imagePart: MultipartPart = switch image {
        case .file(let url):
            MultipartPart(name: imageField, content: .file(url, filename: filename, contentType: format.contentType))
        case .data(let data):
            MultipartPart(name: imageField, content: .data(data, filename: filename, contentType: format.contentType))
        }
        var parts = [imagePart]
        if let returnForm = options.returnForm {
            parts.append(.text(returnFormField, returnForm.rawValue))
        }
        return HTTPRequest(
            method: "POST", url: url(baseURL, extractionPath), headers: keyHeaders(apiKey),
            body: .multipart(parts), timeout: timeout
        )
    }

    /// The `GET` of the account's credit balances.
    public static func creditsRequest(baseURL: URL, apiKey: String?, timeout: Duration? = nil) -> HTTPRequest {
        HTTPRequest(method: "GET", url: url(baseURL, creditsPath), headers: keyHeaders(apiKey), timeout: timeout)
    }

    /// `path` under `baseURL`, keeping any path prefix the base URL has.
    static func url(_ baseURL: URL, _ path: String) -> URL {
        baseURL.appendingPathComponent(String(path.drop { $0 == "/" }))
    }

    private static func keyHeaders(_ apiKey: String?) -> [HTTPHeader] {
        guard let apiKey, !apiKey.isEmpty else { return [] }
        return [HTTPHeader(apiKeyHeader, apiKey)]
    }
}
