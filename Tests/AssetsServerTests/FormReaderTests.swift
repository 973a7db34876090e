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

    @Test func aPartKeepsItsBytesWhileLaterFormsReuseMemory() throws {
        let big = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let first = try parts(of: Form.body(image: big), pieceSize: 65536)[0].body
        for round in 0..<(PartMemory.maxBlocks * 2) {
            let other = Data(repeating: UInt8(round), count: 150_000)
            #expect(try parts(of: Form.body(image: other), pieceSize: 65536)[0].body == other)
        }
        #expect(first == big, "a block goes back only when its Data is released")
    }

    @Test func releasedBlocksAreReusedAndTheirNumberIsBounded() {
        let memory = PartMemory()
        let (block, size) = memory.take(atLeast: 100_000)
        #expect(size >= 100_000 && size % PartMemory.minBlockBytes == 0)
        memory.recycle(block, capacity: size)
        let (again, sizeAgain) = memory.take(atLeast: 90_000)
        #expect(again == block && sizeAgain == size)

        let blocks = (0...PartMemory.maxBlocks).map { _ in memory.take(atLeast: 70_000) } + [(again, sizeAgain)]
        #expect(memory.keptBlocks == 0)
        for (pointer, capacity) in blocks { memory.recycle(pointer, capacity: capacity) }
        #expect(memory.keptBlocks == PartMemory.maxBlocks, "the rest are freed")

        let taken = memory.take(atLeast: 70_000)
        #expect(memory.keptBlocks == PartMemory.maxBlocks - 1)
        let small = memory.take(atLeast: 1000)
        memory.recycle(small.0, capacity: small.1)
        let huge = memory.take(atLeast: PartMemory.maxBlockBytes + 1)
        memory.recycle(huge.0, capacity: huge.1)
        #expect(memory.keptBlocks == PartMemory.maxBlocks - 1, "neither small nor huge blocks are kept")
        memory.recycle(taken.0, capacity: taken.1)
    }
}
