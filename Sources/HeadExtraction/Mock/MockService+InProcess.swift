import AssetTransport
import Foundation

/// One head of an in-process mock extraction: its box and its PNG.
public struct MockHead: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var x: Int
    public var y: Int
    /// An RGBA cutout or a grey mask, `width` by `height`.
    public var png: Data
}

extension MockService {
    /// One extraction answered in this process, with no HTTP in between: the same heads, the
    /// same PNGs and the same scripted failures as ``send(_:)`` gives a client over the wire.
    ///
    /// It counts an extraction call, waits ``MockFaults/latency``, and answers the next
    /// ``MockFaults/scriptedErrors`` entry, if any, as the client would read it from the wire.
    /// ``MockFaults/requireKey`` and download faults do not apply: there is no key and nothing
    /// to download.
    ///
    /// - Throws: ``APIError``, classified as the client classifies the API's answers.
    public func extractHeads(_ bytes: Data, probe: ProbedImage, returnForm: ReturnForm?) async throws(APIError) -> [MockHead] {
        counters.withLock { $0.extractionCalls += 1 }
        try await answerInProcess()
        let headCount = min(faults.value.headCount, 64)
        guard headCount > 0 else {
            let envelope = Envelope.failure(code: "ERROR_NO_FACE_IN_FILE", message: "pic not has face", requestID: newID(), logID: newID())
            throw envelope.failure(httpStatus: envelope.servedStatus)
        }
        return Self.heads(count: headCount, in: probe, bytes: bytes, isMask: returnForm == .mask).map { head in
            MockHead(width: head.width, height: head.height, x: head.x, y: head.y, png: head.result.png())
        }
    }

    /// The balances in ``MockFaults/credits``, answered in this process (see
    /// ``extractHeads(_:probe:returnForm:)``).
    public func creditBalances() async throws(APIError) -> [CreditBalance] {
        counters.withLock { $0.creditsCalls += 1 }
        try await answerInProcess()
        return faults.value.credits
    }

    /// Waits the latency, then throws the next scripted error as a client reads it.
    private func answerInProcess() async throws(APIError) {
        do {
            try await pause()
            guard let refusal = try refusal(keyAccepted: true) else { return }
            let retryAfter = RetryPolicy.parseRetryAfter(refusal.headers[name: "Retry-After"])
            let envelope = try Envelope.decode(refusal.body, httpStatus: refusal.status)
            throw envelope.failure(httpStatus: refusal.status, retryAfter: retryAfter)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.fromTransport(error)
        }
    }
}
