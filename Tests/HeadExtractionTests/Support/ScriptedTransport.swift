import AssetTransport
import Foundation
import HeadExtraction

/// A transport that answers from closures and records every request it sees.
final class ScriptedTransport: Transport {
    typealias SendHandler = @Sendable (_ request: HTTPRequest, _ call: Int) throws -> HTTPResponse
    typealias DownloadHandler = @Sendable (_ request: HTTPRequest, _ destination: URL, _ call: Int) throws -> HTTPResponse

    let requests = LockedValue<[HTTPRequest]>([])
    private let onSend: SendHandler
    private let onDownload: DownloadHandler

    init(
        send: @escaping SendHandler = { _, _ in HTTPResponse(status: 500) },
        download: @escaping DownloadHandler = { _, _, _ in HTTPResponse(status: 500) }
    ) {
        onSend = send
        onDownload = download
    }

    var callCount: Int { requests.value.count }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let call = requests.withLock { $0.append(request); return $0.count }
        return try onSend(request, call)
    }

    func download(_ request: HTTPRequest, to destination: URL, limit: Int64) async throws -> HTTPResponse {
        let call = requests.withLock { $0.append(request); return $0.count }
        return try onDownload(request, destination, call)
    }

    /// A JSON answer.
    static func json(_ status: Int, _ body: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Data(body.utf8))
    }
}

extension RetryPolicy {
    /// The default four attempts, with millisecond waits.
    static let fast = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(1), jitter: 0)
}
