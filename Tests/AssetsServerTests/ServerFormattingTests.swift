import Foundation
import Hummingbird
import Testing
@testable import AssetsServer

/// The small strings every answer and log line carries.
@Suite struct ServerFormattingTests {
    @Test func idsAreFreshLowercaseVersion4UUIDs() throws {
        let ids = (0..<200).map { _ in EnvelopeResponse.newID() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id)")
            #expect(UUID(uuidString: id) != nil)
        }
    }

    @Test(arguments: [
        (Duration.zero, "0.00"),
        (.microseconds(90), "0.09"),
        (.microseconds(1_234), "1.23"),
        (.microseconds(10_009), "10.00"),
        (.milliseconds(2_500), "2500.00"),
        (.seconds(61) + .microseconds(70), "61000.07"),
    ])
    func latenciesAreMillisecondsWithTwoDecimals(duration: Duration, text: String) {
        #expect(AccessLogMiddleware<BasicRequestContext>.milliseconds(duration) == text)
    }

    @Test(arguments: [
        ("localhost", true), ("127.0.0.1:8080", true), ("heads.example.com", true), ("[::1]:8080", true), ("[::1]", true),
        ("", false), ("[::1", false), ("::1]", false), ("evil.example/x", false), ("user@host", false), ("host?q", false),
        ("h\u{e9}te", false), (String(repeating: "a", count: 256), false),
    ])
    func onlyAHostAndPortCanBecomeTheBaseOfImageURLs(host: String, plausible: Bool) {
        #expect(ExtractionRoute.isPlausibleHost(host) == plausible)
    }

    @Test func logLinesAreStampedWithTheLocalTimeToTheSecond() {
        let stamp = StandardErrorLogHandler.timestamp()
        #expect(stamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}/) != nil, "\(stamp)")
    }

    @Test(arguments: [
        ("multipart/form-data; boundary=abc", "abc"),
        ("Multipart/Form-Data;boundary=\"a b\"", "a b"),
        ("MULTIPART/FORM-DATA; charset=utf-8; BOUNDARY = xyz ", "xyz"),
        ("multipart/form-data", nil),
        ("multipart/form-data; boundary=", nil),
        ("multipart/form-data; boundary=" + String(repeating: "b", count: 71), nil),
        ("multipart/mixed; boundary=abc", nil),
        ("text/plain; boundary=abc", nil),
        ("multipart", nil),
    ] as [(String, String?)])
    func theBoundaryComesOnlyFromAFormDataContentType(contentType: String, boundary: String?) {
        #expect(Upload.boundary(in: contentType) == boundary)
    }
}
