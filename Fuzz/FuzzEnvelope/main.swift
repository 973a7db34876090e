import Foundation
import FuzzSupport
import HeadExtraction

// Envelope.decode, then resultElements() or failure(httpStatus:), on arbitrary bodies.
// Every outcome must be an Envelope or an APIError, and no message may hold the API key,
// whatever the body echoes back.
let secret = "sk-fuzz-0123456789abcdef"

func check(_ error: APIError) {
    precondition(!error.code.isEmpty && !error.message.isEmpty)
    precondition(!error.message.contains(secret), "key in message: \(error.message)")
    precondition(!error.code.contains(secret) && !(error.requestID ?? "").contains(secret), "key in code or id")
}

FuzzMain.run { data in
    for status in [200, 429, 503] {
        let envelope: Envelope
        do throws(APIError) {
            envelope = try Envelope.decode(data, httpStatus: status)
        } catch {
            precondition(error.code == Envelope.malformedCode && error.errorClass == .transient)
            check(error)
            continue
        }
        if envelope.isSuccess(httpStatus: status) {
            do throws(APIError) {
                for element in try envelope.resultElements(redacting: secret) {
                    precondition(element.imageURL.scheme != nil)
                }
            } catch {
                precondition(error.code == Envelope.malformedCode)
                check(error)
            }
        } else {
            let failure = envelope.failure(httpStatus: status, redacting: secret)
            check(failure)
        }
        // What the server sends back must decode to the same envelope.
        precondition((try? Envelope.decode(envelope.jsonData(), httpStatus: status)) == envelope)
    }
}
