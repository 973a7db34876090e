import Foundation
import MultipartKit
import NIOCore
import Synchronization

/// One part of a `multipart/form-data` body, as MultipartKit's parser reports it.
package struct FormPart: Sendable {
    package var name: String?
    package var filename: String?
    /// The part's own `Content-Type`, if it gave one.
    package var contentType: String?
    package var body: Data

    /// Splits `body` into its parts.
    ///
    /// - Throws: when the body is not well-formed multipart, or ends before its closing boundary.
    static func parse(_ body: ByteBuffer, boundary: String) throws -> [FormPart] {
        let reader = FormReader(boundary: boundary, expectedLength: body.readableBytes)
        try reader.feed(body)
        return try reader.finish()
    }

    /// `form-data; name="image"; filename="a.png"` as `["name": "image", "filename": "a.png"]`.
    ///
    /// Works on the UTF-8 bytes: every request pays for it twice (its content type and its
    /// part's disposition), and `Character`-wise trimming and splitting cost several microseconds.
    static func parameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        let bytes = Array(value.utf8)
        for item in bytes.split(separator: UInt8(ascii: ";")).dropFirst() {
            guard let equals = item.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = trimmed(item[..<equals])
            var text = trimmed(item[(equals + 1)...])
            if text.count >= 2, text.first == UInt8(ascii: "\""), text.last == UInt8(ascii: "\"") {
                text = text.dropFirst().dropLast()
            }
            result[String(decoding: name, as: UTF8.self).lowercased()] = String(decoding: text, as: UTF8.self)
        }
        return result
    }

    /// `text` without the spaces and tabs around it.
    private static func trimmed(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else { return [] }
        return text[first...last]
    }
}

/// Feeds a body to MultipartKit's parser as it arrives, and gathers the parts.
///
/// The parser hands a part over in many small pieces (it stops at every CR byte, about 400
/// times in 100 KB of compressed image). Each piece is copied straight into one block of
/// memory, sized for the whole body up front, which the part's `Data` then owns: no
/// `ByteBuffer` bookkeeping per piece, and no copy when the part is handed over.
package final class FormReader {
    private let parser: MultipartParser
    private var parts: [FormPart] = []
    private var name: String?
    private var filename: String?
    private var contentType: String?
    /// The current part's body.
    private let content: ByteAccumulator
    /// Whether a part ended and nothing of another one was read since.
    private var complete = false

    /// - Parameter expectedLength: the body's length, if known, to size the part buffer once.
    package init(boundary: String, expectedLength: Int?) {
        parser = MultipartParser(boundary: boundary)
        content = ByteAccumulator(capacity: expectedLength ?? 0)
        parser.onHeader = { [unowned self] header, value in
            complete = false
            switch header.lowercased() {
            case "content-disposition":
                let parameters = FormPart.parameters(value)
                name = parameters["name"]
                filename = parameters["filename"]
            case "content-type":
                contentType = value
            default:
                break
            }
        }
        // The hot path: it captures the accumulator alone, not the reader.
        parser.onBody = { [content] chunk in
            content.append(chunk)
        }
        parser.onPartComplete = { [unowned self] in
            parts.append(FormPart(name: name, filename: filename, contentType: contentType, body: content.take()))
            (name, filename, contentType) = (nil, nil, nil)
            complete = true
        }
    }

    /// Parses the next piece of the body.
    package func feed(_ chunk: ByteBuffer) throws {
        try parser.execute(chunk)
    }

    /// The parts, once the whole body was fed.
    ///
    /// - Throws: when the body ended within a part.
    package func finish() throws -> [FormPart] {
        guard complete, content.isEmpty, !parts.isEmpty else { throw MultipartError.truncated }
        return parts
    }

    enum MultipartError: Error {
        case truncated
    }
}

/// Bytes appended into one block of memory, handed over as a `Data` that owns the block.
final class ByteAccumulator {
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0
    private var count = 0

    /// - Parameter capacity: the bytes to reserve for the first take.
    init(capacity: Int) {
        reserve(capacity)
    }

    deinit {
        if let storage { PartMemory.shared.recycle(storage, capacity: capacity) }
    }

    var isEmpty: Bool { count == 0 }

    func append(_ chunk: ByteBuffer) {
        chunk.withUnsafeReadableBytes { bytes in
            guard let source = bytes.baseAddress, bytes.count > 0 else { return }
            if count + bytes.count > capacity {
                reserve(max(count + bytes.count, capacity * 2, 256))
            }
            (storage! + count).copyMemory(from: source, byteCount: bytes.count)
            count += bytes.count
        }
    }

    /// The bytes so far; the accumulator starts again empty, with no memory reserved. The
    /// block goes back to ``PartMemory`` when the `Data` is released.
    func take() -> Data {
        guard let storage, count > 0 else { return Data() }
        let capacity = capacity
        let data = Data(bytesNoCopy: storage, count: count, deallocator: .custom { pointer, _ in
            PartMemory.shared.recycle(pointer, capacity: capacity)
        })
        self.storage = nil
        self.capacity = 0
        count = 0
        return data
    }

    private func reserve(_ bytes: Int) {
        guard bytes > capacity else { return }
        let (grown, size) = PartMemory.shared.take(atLeast: bytes)
        if let storage {
            grown.copyMemory(from: storage, byteCount: count)
            PartMemory.shared.recycle(storage, capacity: capacity)
        }
        storage = grown
        capacity = size
    }
}

/// Blocks of memory for uploads, kept for the next request rather than given back to the system.
///
/// glibc returns a freed 100 KB block to the kernel (it sits at the top of the heap, past the
/// trim threshold), so the next upload's copy faulted every page in again and the kernel
/// zeroed each one: about 7% of a cache hit's CPU in `assets serve`, by `perf`. Blocks of
/// 64 KiB or more are kept here instead, at most ``maxBlocks`` of them and none over
/// ``maxBlockBytes``; smaller ones come from and go back to `malloc`.
final class PartMemory: Sendable {
    static let shared = PartMemory()

    static let minBlockBytes = 64 << 10
    static let maxBlockBytes = 4 << 20
    static let maxBlocks = 16

    private struct Block: @unchecked Sendable {
        var pointer: UnsafeMutableRawPointer
        var capacity: Int
    }

    private let kept = Mutex<[Block]>([])

    deinit {
        for block in kept.withLock({ $0 }) { free(block.pointer) }
    }

    /// How many blocks are kept now.
    var keptBlocks: Int { kept.withLock { $0.count } }

    /// A block of at least `bytes`, and its size.
    func take(atLeast bytes: Int) -> (UnsafeMutableRawPointer, Int) {
        if bytes >= Self.minBlockBytes, bytes <= Self.maxBlockBytes {
            let reused = kept.withLock { blocks -> Block? in
                // The smallest block that fits.
                var best: Int?
                for index in blocks.indices where blocks[index].capacity >= bytes {
                    if best.map({ blocks[index].capacity < blocks[$0].capacity }) ?? true { best = index }
                }
                return best.map { blocks.remove(at: $0) }
            }
            if let reused { return (reused.pointer, reused.capacity) }
        }
        // Sizes that may be kept are rounded up to a whole 64 KiB, so they fit the next upload of about the same size.
        let size = bytes >= Self.minBlockBytes ? (bytes + Self.minBlockBytes - 1) / Self.minBlockBytes * Self.minBlockBytes : bytes
        guard let pointer = malloc(size) else { fatalError("out of memory reserving \(size) bytes for an upload") }
        return (pointer, size)
    }

    /// Keeps `pointer` for a later ``take(atLeast:)``, or frees it.
    func recycle(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        if capacity >= Self.minBlockBytes, capacity <= Self.maxBlockBytes {
            let isKept = kept.withLock { blocks -> Bool in
                guard blocks.count < Self.maxBlocks else { return false }
                blocks.append(Block(pointer: pointer, capacity: capacity))
                return true
            }
            if isKept { return }
        }
        free(pointer)
    }
}
