import AssetTransport
import Foundation

extension HeadExtractionClient {
    /// Downloads one result image to `destination` and checks that it decodes as a whole PNG.
    ///
    /// The API key is never sent to a result URL. Failures that a later attempt at the same URL
    /// can fix (timeouts, 5xx, truncated bodies) are retried; an expired URL is not.
    /// - Parameters:
    ///   - url: an `http` or `https` result URL from ``ExtractionAnswer/elements``.
    ///   - destination: the file to write; created or replaced, and removed if the bytes are not a PNG.
    ///   - limit: the largest accepted body; `nil` uses ``configuration``'s `maxDownloadBytes`.
    /// - Returns: the size of the file in bytes.
    /// - Throws: ``APIError``: `RESULT_URL_REFUSED` (input) for another scheme, `RESULT_EXPIRED`
    ///   (transient: a fresh API call gives a fresh URL) for a 403, 404 or 410, `DOWNLOAD_TOO_LARGE`
    ///   over the limit, `RESULT_NOT_PNG` when the bytes do not decode.
    @discardableResult
    public func downloadResult(
        _ url: URL, to destination: URL, limit: Int64? = nil,
        onRetry: @Sendable (APIError) -> Void = { _ in }
    ) async throws(APIError) -> Int64 {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw APIError(
                code: "RESULT_URL_REFUSED", errorClass: .input,
                message: "The API gave a result URL with the scheme \"\(url.scheme ?? "")\", but only http and https are downloaded; check the API base URL."
            )
        }
        let request = HTTPRequest(method: "GET", url: url, timeout: configuration.downloadTimeout)
        let limit = limit ?? configuration.maxDownloadBytes
        return try await withRetries(shouldRetry: Self.isRetriedInPlace, onRetry: onRetry) { _ throws(APIError) in
            let response: HTTPResponse
            do {
                response = try await transport.download(request, to: destination, limit: limit)
            } catch {
                throw APIError.fromTransport(error, localFileClass: .internal, redacting: apiKey)
            }
            guard response.isSuccess else { throw Self.downloadFailure(response, host: url.host ?? "the result host") }
            return try Self.verifyPNG(at: destination)
        }
    }

    static let expiredStatuses: Set<Int> = [403, 404, 410]

    /// Same-URL retries help only for failures of the transfer itself.
    static func isRetriedInPlace(_ error: APIError) -> Bool {
        guard error.errorClass == .transient else { return false }
        switch error.code {
        case "RESULT_EXPIRED", "RESULT_NOT_PNG": return false
        case "RESULT_DOWNLOAD_FAILED": return [408, 429].contains(error.httpStatus) || (error.httpStatus ?? 0) >= 500
        default: return true
        }
    }

    static func downloadFailure(_ response: HTTPResponse, host: String) -> APIError {
        if expiredStatuses.contains(response.status) {
            return APIError(
                code: "RESULT_EXPIRED", errorClass: .transient,
                message: "The result image on \(host) is gone (HTTP \(response.status)), as result URLs expire after 24 hours; extract the image again for a fresh URL.",
                httpStatus: response.status
            )
        }
        return APIError(
            code: "RESULT_DOWNLOAD_FAILED", errorClass: .transient,
            message: "Downloading the result image from \(host) failed with HTTP \(response.status); try again later.",
            httpStatus: response.status
        )
    }

    /// Proves the downloaded file is a whole PNG, or removes it.
    static func verifyPNG(at destination: URL) throws(APIError) -> Int64 {
        let data: Data
        do {
            data = try Data(contentsOf: destination)
        } catch {
            throw APIError(
                code: "RESULT_UNREADABLE", errorClass: .internal,
                message: "The downloaded result at \(destination.path) cannot be read back; check the output folder."
            )
        }
        do {
            _ = try PNGCodec.decodeInfo(data)
        } catch {
            try? FileManager.default.removeItem(at: destination)
            throw APIError(
                code: "RESULT_NOT_PNG", errorClass: .transient,
                message: "The downloaded result is not a complete PNG (\(error.message)); extract the image again."
            )
        }
        return Int64(data.count)
    }
}
