import Foundation
import NIOCore
import Testing
@testable import AssetsServer

/// The body reaches the parser in whatever pieces the connection delivers.
@Suite struct FormReaderTests {
    let image = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 13) }) + Data("\r\n--\r\r\n-".utf8)

    func parts(of body: ByteBuffer, pieceSize: Int) throws -> [FormPart] {
        let reader = FormReader(boundary: Form.boundary, expectedLength: body.readableBytes)
        var rest = body
        while let piece = rest.readSlice(length: min(pieceSize, rest.readableBytes)), piece.readableBytes > 0 {
            try reader.feed(piece)
        }
        return try reader.finish()
    }

    @Test(arguments: [1, 2, 7, 64, 4096, 1 << 20])
    func anyPieceSizeGivesTheSameParts(pieceSize: Int) throws {
        let body = Form.body(image: image, filename: "a.png", fields: [("return_form", "mask")])
        let parts = try parts(of: body, pieceSize: pieceSize)
        #expect(parts.count == 2)
        #expect(parts[0].name == "image")
        #expect(parts[0].filename == "a.png")
        #expect(parts[0].body == image)
        #expect(parts[1].name == "return_form")
        #expect(parts[1].body == Data("mask".utf8))
    }

    @Test func aBodyCutWithinAPartIsRefused() throws {
        let body = Form.body(image: image)
        for cut in [10, body.readableBytes / 2, body.readableBytes - 8] {
            #expect(throws: (any Error).self) { try parts(of: body.getSlice(at: 0, length: cut)!, pieceSize: 512) }
        }
    }

    @Test func parametersAreUnquotedAndTrimmed() {
        let parameters = FormPart.parameters("form-data;  name = \"image\" ;filename=\"a b.png\";\tsize=3 ")
        #expect(parameters == ["name": "image", "filename": "a b.png", "size": "3"])
    }
}
