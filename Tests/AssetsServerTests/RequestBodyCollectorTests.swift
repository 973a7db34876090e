import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
@testable import AssetsServer

/// The channel handler that hands a small enough request to its route in one piece.
@Suite struct RequestBodyCollectorTests {
    let channel = EmbeddedChannel(handler: RequestBodyCollector(limit: 100))

    func head(contentLength: Int?, expect: String? = nil) -> HTTPRequest {
        var request = HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/api/cutout/portrait/avatar-extraction")
        if let contentLength { request.headerFields[.contentLength] = String(contentLength) }
        if let expect { request.headerFields[.expect] = expect }
        return request
    }

    func send(_ parts: HTTPRequestPart...) throws {
        for part in parts { try channel.writeInbound(part) }
    }

    /// Every part that came out of the handler so far.
    func received() throws -> [HTTPRequestPart] {
        var parts: [HTTPRequestPart] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
        return parts
    }

    func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func aSmallBodyArrivesWholeAfterItsLastPiece() throws {
        try send(.head(head(contentLength: 11)), .body(bytes("hello")), .body(bytes(" ")))
        #expect(try received().isEmpty)
        try send(.body(bytes("world")), .end(nil))
        let parts = try received()
        #expect(parts == [.head(head(contentLength: 11)), .body(bytes("hello")), .body(bytes(" ")), .body(bytes("world")), .end(nil)])
    }

    @Test func requestsOnOneConnectionAreEachCollected() throws {
        try send(.head(head(contentLength: 1)), .body(bytes("a")), .end(nil), .head(head(contentLength: 2)), .body(bytes("b")))
        #expect(try received() == [.head(head(contentLength: 1)), .body(bytes("a")), .end(nil)])
        try send(.body(bytes("c")), .end(nil))
        #expect(try received() == [.head(head(contentLength: 2)), .body(bytes("b")), .body(bytes("c")), .end(nil)])
    }

    @Test(arguments: [nil, 0, 101])
    func otherBodiesPassThroughAsTheyArrive(contentLength: Int?) throws {
        try send(.head(head(contentLength: contentLength)))
        #expect(try received() == [.head(head(contentLength: contentLength))])
        try send(.body(bytes("x")))
        #expect(try received() == [.body(bytes("x"))])
        try send(.end(nil))
        #expect(try received() == [.end(nil)])
    }

    @Test func aClientWaitingForContinueIsNotHeldBack() throws {
        let waiting = head(contentLength: 5, expect: "100-continue")
        try send(.head(waiting))
        #expect(try received() == [.head(waiting)])
    }

    @Test func aClientLeavingMidBodyStillDeliversWhatArrived() throws {
        try send(.head(head(contentLength: 50)), .body(bytes("part")))
        channel.pipeline.fireChannelInactive()
        #expect(try received() == [.head(head(contentLength: 50)), .body(bytes("part"))])
    }

    @Test func aRequestTheServerWouldRefusePassesThrough() throws {
        let channel = EmbeddedChannel(handler: RequestBodyCollector(limit: 100) { $0.headerFields[.authorization] == "known" })
        var unknown = head(contentLength: 4)
        unknown.headerFields[.authorization] = "unknown"
        try channel.writeInbound(HTTPRequestPart.head(unknown))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == .head(unknown), "its refusal need not wait for the body")

        var known = head(contentLength: 4)
        known.headerFields[.authorization] = "known"
        try channel.writeInbound(HTTPRequestPart.head(known))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil, "a known key's request waits for its body")
    }
}
