import CCurl
import Foundation

// libcurl's C callbacks. They capture nothing (a capturing closure crashed swift-frontend
// 6.3.1), so each one finds its CurlEasy through the userdata pointer.

private func easy(_ context: UnsafeMutableRawPointer?) -> CurlEasy? {
    context.map { Unmanaged<CurlEasy>.fromOpaque($0).takeUnretainedValue() }
}

func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let easy = easy(context) else { return 0 }
    return easy.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let easy = easy(context) else { return 0 }
    return easy.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}

func curlReadCallback(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let easy = easy(context), let buffer else { return Int(CURL_READFUNC_ABORT) }
    return easy.supplyBody(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

func curlSeekCallback(_ context: UnsafeMutableRawPointer?, _ offset: curl_off_t, _ origin: Int32) -> Int32 {
    guard let easy = easy(context), origin == SEEK_SET, offset >= 0 else { return CURL_SEEKFUNC_CANTSEEK }
    return easy.rewindBody(to: UInt64(offset)) ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL
}

func curlProgressCallback(_ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t, _ uploadTotal: curl_off_t, _ uploaded: curl_off_t) -> Int32 {
    // A non-zero answer aborts the transfer with CURLE_ABORTED_BY_CALLBACK.
    guard let easy = easy(context) else { return 1 }
    return easy.cancellation.isCancelled ? 1 : 0
}

extension CurlEasy {
    private var isSuccess: Bool { (200..<300).contains(status) }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        switch target {
        case .file(let url, let limit) where isSuccess:
            guard fileBytes + Int64(bytes.count) <= limit else {
                abortReason = Self.tooLarge(host: host, limit: limit)
                return 0
            }
            if fileDescriptor < 0 {
                fileDescriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fileDescriptor >= 0 else {
                    abortReason = Self.localFile(url, errno: errno)
                    return 0
                }
            }
            var offset = 0
            while offset < bytes.count {
                let written = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    abortReason = Self.localFile(url, errno: errno)
                    return 0
                }
                offset += written
            }
            fileBytes += Int64(bytes.count)
        case .file:
            let room = Self.errorBodyLimit - body.count
            if bytes.count > room {
                body.append(contentsOf: bytes.prefix(room))
                errorBodyCapped = true
                return 0
            }
            body.append(contentsOf: bytes)
        case .memory(let limit):
            guard Int64(body.count + bytes.count) <= limit else {
                abortReason = Self.tooLarge(host: host, limit: limit)
                return 0
            }
            body.append(contentsOf: bytes)
        }
        return bytes.count
    }

    func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after 100 Continue or a proxy's CONNECT): keep only the last.
            headers = []
            status = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        } else if line.isEmpty {
            // End of a header block: refuse a declared length over the limit before any byte.
            if let declared = headers[name: "Content-Length"].flatMap({ Int64($0) }) {
                switch target {
                case .file(_, let limit) where isSuccess && declared > limit,
                     .memory(let limit) where declared > limit:
                    abortReason = Self.tooLarge(host: host, limit: limit)
                    return 0
                default:
                    break
                }
            }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append(HTTPHeader(name, value))
        }
        return bytes.count
    }

    func supplyBody(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let upload else { return 0 }
        do {
            guard let chunk = try upload.read(upToCount: buffer.count), !chunk.isEmpty else { return 0 }
            chunk.copyBytes(to: buffer)
            return chunk.count
        } catch {
            abortReason = TransportError(.localFile, "Could not read the request body file while sending it; check that it is not being changed or removed.")
            return Int(CURL_READFUNC_ABORT)
        }
    }

    func rewindBody(to offset: UInt64) -> Bool {
        guard let upload else { return false }
        return (try? upload.seek(toOffset: offset)) != nil
    }

    static func tooLarge(host: String, limit: Int64) -> TransportError {
        TransportError(
            .tooLarge, curlCode: Int(CURLE_FILESIZE_EXCEEDED.rawValue),
            "The response from \(host) is larger than the limit of \(limit) bytes, so it was aborted; raise the limit if this file is expected to be that large."
        )
    }

    static func localFile(_ url: URL, errno code: Int32) -> TransportError {
        let reason = String(cString: strerror(code))
        return TransportError(
            .localFile,
            "Could not write the download into \(url.deletingLastPathComponent().path) (\(reason)); check that the folder exists, is writable and has free space."
        )
    }

    /// One sentence for a libcurl failure, naming the host, never a header value.
    static func error(for code: CURLcode, host: String) -> TransportError {
        let raw = Int(code.rawValue)
        let reason = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(.timeout, curlCode: raw, "The transfer to \(host) timed out (curl \(raw): \(reason)); try again later, or allow more time.")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
             CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
             CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM,
             CURLE_PROXY, CURLE_WEIRD_SERVER_REPLY:
            return TransportError(.connection, curlCode: raw, "Could not talk to \(host) (curl \(raw): \(reason)); check the network, any proxy settings and the URL, then try again.")
        case CURLE_PARTIAL_FILE:
            return TransportError(.truncated, curlCode: raw, "The response from \(host) ended early (curl \(raw): \(reason)); try again.")
        case CURLE_FILESIZE_EXCEEDED:
            return TransportError(.tooLarge, curlCode: raw, "The response from \(host) is over its size limit (curl \(raw)); raise the limit if this is expected.")
        case CURLE_UNSUPPORTED_PROTOCOL:
            return TransportError(.schemeRefused, curlCode: raw, "Refused a transfer to \(host) (curl \(raw): \(reason)); only http and https are allowed.")
        case CURLE_READ_ERROR:
            return TransportError(.localFile, curlCode: raw, "Could not read a file to upload to \(host) (curl \(raw): \(reason)); check that it exists and is readable.")
        default:
            return TransportError(.other, curlCode: raw, "The transfer to \(host) failed (curl \(raw): \(reason)); try again.")
        }
    }
}
