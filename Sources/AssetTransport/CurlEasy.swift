import CCurl
import Foundation

/// Where one hop puts the response body.
enum CurlBodyTarget {
    /// Keep the body in memory; a body over `limit` bytes fails with `.tooLarge`.
    case memory(limit: Int64)
    /// Write a 2xx body to `file` (created on the first byte); a body over `limit` bytes fails
    /// with `.tooLarge`. Other statuses keep up to ``CurlEasy/errorBodyLimit`` bytes in memory.
    case file(URL, limit: Int64)
}

/// What one hop (one request, one response, no redirect followed) produced.
struct CurlHopResult {
    var status: Int
    var headers: [HTTPHeader]
    var body: Data
    /// libcurl's `CURLINFO_REDIRECT_URL`: the absolute `Location` of a 3xx.
    var redirectURL: String?
    /// Bytes written to the file target.
    var fileBytes: Int64
}

/// One libcurl easy handle performing one hop, synchronously, on the calling thread.
///
/// The handle is made, used and freed on one thread: easy handles are not thread-safe, and
/// keeping them out of shared state is what lets Swift 6 prove this file race-free.
final class CurlEasy {
    /// The most of a non-2xx download body that is kept, for the error message.
    static let errorBodyLimit = 64 * 1024

    let handle: UnsafeMutableRawPointer
    let target: CurlBodyTarget
    let cancellation: CancellationFlag
    let host: String
    /// Held so the share outlives `curl_easy_cleanup`, which may still hand it a connection.
    let share: CurlShare?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var mime: OpaquePointer?

    // State the C callbacks update (see CurlEasy+Callbacks.swift).
    var status = 0
    var headers: [HTTPHeader] = []
    var body = Data()
    var fileDescriptor: Int32 = -1
    var fileBytes: Int64 = 0
    /// A non-2xx download body was cut at `errorBodyLimit`; the write error that follows is ours.
    var errorBodyCapped = false
    /// Why a callback aborted the transfer, when it was not libcurl's own failure.
    var abortReason: TransportError?
    var upload: FileHandle?

    init(target: CurlBodyTarget, cancellation: CancellationFlag, host: String, share: CurlShare? = nil) throws {
        guard CurlGlobal.initialized, let handle = curl_easy_init() else {
            throw TransportError(.other, "libcurl could not be initialized; check that libcurl is installed correctly.")
        }
        self.handle = handle
        self.target = target
        self.cancellation = cancellation
        self.host = host
        self.share = share
    }

    deinit {
        curl_easy_cleanup(handle)
        if let mime { curl_mime_free(mime) }
        if let headerList { curl_slist_free_all(headerList) }
        closeFile()
        try? upload?.close()
    }

    /// Performs the hop and returns what the server answered.
    func perform(
        url: URL, method: String, headers requestHeaders: [HTTPHeader], body: HTTPRequest.Body,
        signature: AWSSignature? = nil, connectTimeoutMs: Int, timeoutMs: Int, userAgent: String?
    ) throws -> CurlHopResult {
        let context = Unmanaged.passUnretained(self).toOpaque()
        try check(assets_easy_setopt_string(handle, CURLOPT_URL, url.absoluteString))
        try check(assets_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        if let share {
            try check(assets_easy_setopt_share(handle, CURLOPT_SHARE, share.handle))
        }
        try check(assets_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        try check(assets_easy_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
        // Redirects are followed by CurlTransport, hop by hop, so each target is checked first.
        try check(assets_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        try check(assets_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, connectTimeoutMs)))
        try check(assets_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, timeoutMs)))
        try check(assets_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        try check(assets_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        try check(assets_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        try check(assets_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        try check(assets_easy_setopt_xferinfo_callback(handle, CURLOPT_XFERINFOFUNCTION, curlProgressCallback))
        try check(assets_easy_setopt_pointer(handle, CURLOPT_XFERINFODATA, context))
        try check(assets_easy_setopt_long(handle, CURLOPT_NOPROGRESS, 0))

        if let userAgent, requestHeaders[name: "User-Agent"] == nil {
            try check(assets_easy_setopt_string(handle, CURLOPT_USERAGENT, userAgent))
        }
        try setBody(body, method: method)
        try setHeaders(requestHeaders + (try sign(signature, url: url, body: body, headers: requestHeaders)), signed: signature != nil)

        let code = curl_easy_perform(handle)
        closeFile()
        if code != CURLE_OK {
            if let abortReason { throw abortReason }
            if code == CURLE_ABORTED_BY_CALLBACK, cancellation.isCancelled { throw CancellationError() }
            if !(code == CURLE_WRITE_ERROR && errorBodyCapped) { throw Self.error(for: code, host: host) }
        }

        var responseCode = 0
        _ = assets_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &responseCode)
        var location: UnsafeMutablePointer<CChar>?
        _ = assets_easy_getinfo_string(handle, CURLINFO_REDIRECT_URL, &location)
        let result = CurlHopResult(
            status: responseCode, headers: headers, body: self.body,
            redirectURL: location.map { String(cString: $0) }, fileBytes: fileBytes
        )
        if case .file = target, (200..<300).contains(result.status), method != "HEAD",
           let declared = result.headers[name: "Content-Length"].flatMap({ Int64($0) }), declared != fileBytes {
            throw TransportError(
                .truncated, curlCode: Int(CURLE_PARTIAL_FILE.rawValue),
                "The download from \(host) was \(fileBytes) bytes but declared \(declared); try again."
            )
        }
        return result
    }

    private func setBody(_ body: HTTPRequest.Body, method: String) throws {
        switch body {
        case .empty:
            if method == "POST" {
                try check(assets_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0))
                try check(assets_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, ""))
            }
        case .bytes(let data):
            try check(assets_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(data.count)))
            if data.isEmpty {
                try check(assets_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                // COPYPOSTFIELDS copies, so the pointer need not outlive this call.
                try data.withUnsafeBytes { raw in
                    try check(assets_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress)))
                }
            }
        case .file(let url):
            let size: Int64
            do {
                size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? 0
                upload = try FileHandle(forReadingFrom: url)
            } catch {
                throw TransportError(.localFile, "Could not read the request body file \(url.lastPathComponent); check that it exists and is readable.")
            }
            try check(assets_easy_setopt_long(handle, CURLOPT_POST, 1))
            try check(assets_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(size)))
            try check(assets_easy_setopt_read_callback(handle, CURLOPT_READFUNCTION, curlReadCallback))
            try check(assets_easy_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque()))
            // A reused connection that turns out closed is retried on a new one, from the start.
            try check(assets_easy_setopt_seek_callback(handle, CURLOPT_SEEKFUNCTION, curlSeekCallback))
            try check(assets_easy_setopt_pointer(handle, CURLOPT_SEEKDATA, Unmanaged.passUnretained(self).toOpaque()))
        case .multipart(let parts):
            try setMultipart(parts)
        }
        switch method {
        case "GET" where isEmpty(body), "POST":
            break
        case "HEAD":
            try check(assets_easy_setopt_long(handle, CURLOPT_NOBODY, 1))
        default:
            try check(assets_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method))
        }
    }

    private func isEmpty(_ body: HTTPRequest.Body) -> Bool {
        if case .empty = body { return true }
        return false
    }

    private func setMultipart(_ parts: [MultipartPart]) throws {
        guard let mime = curl_mime_init(handle) else {
            throw TransportError(.other, "libcurl could not build a multipart body; try again.")
        }
        self.mime = mime
        for part in parts {
            guard let mimePart = curl_mime_addpart(mime) else {
                throw TransportError(.other, "libcurl could not build a multipart body; try again.")
            }
            try check(curl_mime_name(mimePart, part.name))
            switch part.content {
            case .text(let value):
                try check(curl_mime_data(mimePart, value, value.utf8.count))
            case .data(let data, let filename, let contentType):
                try data.withUnsafeBytes { raw in
                    let pointer = raw.bindMemory(to: CChar.self).baseAddress
                    try check(pointer.map { curl_mime_data(mimePart, $0, raw.count) } ?? curl_mime_data(mimePart, "", 0))
                }
                try check(curl_mime_filename(mimePart, filename))
                try check(curl_mime_type(mimePart, contentType))
            case .file(let url, let filename, let contentType):
                // curl_mime_filedata streams the file while sending; it is never loaded whole.
                guard FileManager.default.isReadableFile(atPath: url.path) else {
                    throw TransportError(.localFile, "Could not read \(url.lastPathComponent) for upload; check that it exists and is readable.")
                }
                try check(curl_mime_filedata(mimePart, url.path))
                try check(curl_mime_filename(mimePart, filename))
                try check(curl_mime_type(mimePart, contentType))
            }
        }
        try check(assets_easy_setopt_mime(handle, CURLOPT_MIMEPOST, mime))
    }

    /// Sets libcurl's SigV4 options and returns the headers the signature needs besides them.
    private func sign(_ signature: AWSSignature?, url: URL, body: HTTPRequest.Body, headers: [HTTPHeader]) throws -> [HTTPHeader] {
        guard let signature else { return [] }
        try AWSSignature.checkCanonicalQuery(of: url)
        try check(assets_easy_setopt_string(handle, CURLOPT_AWS_SIGV4, signature.curlProvider))
        // Separate options, not CURLOPT_USERPWD, so a ':' in a key cannot split it wrongly.
        try check(assets_easy_setopt_string(handle, CURLOPT_USERNAME, signature.accessKeyID))
        try check(assets_easy_setopt_string(handle, CURLOPT_PASSWORD, signature.secretAccessKey))
        var extra: [HTTPHeader] = []
        if headers[name: "x-amz-content-sha256"] == nil {
            extra.append(HTTPHeader("x-amz-content-sha256", try AWSSignature.payloadSHA256(of: body)))
        }
        if let token = signature.sessionToken {
            extra.append(HTTPHeader("x-amz-security-token", token))
        }
        return extra
    }

    private func setHeaders(_ requestHeaders: [HTTPHeader], signed: Bool) throws {
        var lines = requestHeaders.map { header in
            // "Name;" is libcurl's way to send a header with an empty value.
            header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
        }
        if requestHeaders[name: "Expect"] == nil {
            if signed {
                // libcurl 7.88.1 signs an "Expect:" removal as an empty header it then does not
                // send, which breaks the signature; wait briefly for "100 Continue" instead.
                try check(assets_easy_setopt_long(handle, CURLOPT_EXPECT_100_TIMEOUT_MS, 100))
            } else {
                // Skip the 1 s wait for "100 Continue" that some servers never send.
                lines.append("Expect:")
            }
        }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                throw TransportError(.other, "libcurl could not store a request header; try again.")
            }
            headerList = appended
        }
        try check(assets_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else { throw Self.error(for: code, host: host) }
    }

    func closeFile() {
        guard fileDescriptor >= 0 else { return }
        fsync(fileDescriptor)
        close(fileDescriptor)
        fileDescriptor = -1
    }
}

/// Runs `curl_global_init` once per process, before the first handle; it is not thread-safe.
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(assets_curl_global_all()) == CURLE_OK
}
