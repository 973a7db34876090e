import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A SHA-256 digest: the address of a blob, an input or an action.
///
/// Stored in the catalog as 32 raw bytes, shown to people and in paths as 64 lowercase hex digits.
public struct ContentHash: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The 32 digest bytes.
    public let bytes: Data

    public init(digest: SHA256.Digest) {
        bytes = Data(digest)
    }

    /// A hash from its 32 raw bytes, or `nil` for any other length.
    public init?(bytes: Data) {
        guard bytes.count == 32 else { return nil }
        self.bytes = Data(bytes)
    }

    /// A hash from 64 hex digits (either case), or `nil` for anything else.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes = Data(capacity: 32)
        var index = 0
        while index < 64 {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }

    /// The SHA-256 of `data`.
    public static func of(_ data: some DataProtocol) -> ContentHash {
        ContentHash(digest: SHA256.hash(data: data))
    }

    /// The SHA-256 of `string`'s UTF-8 bytes.
    public static func of(_ string: String) -> ContentHash {
        of(Data(string.utf8))
    }

    /// The SHA-256 of a file, read in 1 MiB chunks so that large files never sit in memory.
    ///
    /// The file must be a regular file: a symlink at `url` is refused, never followed (see
    /// ``BlobStore/read(_:verify:)``), and a FIFO is never waited on.
    public static func of(fileAt url: URL) throws -> ContentHash {
        let file = try BlobStore.openRegularFile(url.path)
        defer { close(file.descriptor) }
        return try of(descriptor: file.descriptor, path: url.path)
    }

    /// The SHA-256 of what is left to read from `descriptor`, in 1 MiB chunks.
    static func of(descriptor: Int32, path: String) throws -> ContentHash {
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { buffer in read(descriptor, buffer.baseAddress!, buffer.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw BlobStore.ioError("read", path)
            }
            if got == 0 { break }
            chunk.withUnsafeBytes { buffer in hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<got])) }
        }
        return ContentHash(digest: hasher.finalize())
    }

    /// 64 lowercase hex digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = Self.hexDigits[Int(byte >> 4)]
                out[2 * index + 1] = Self.hexDigits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public var description: String { hex }

    public static func < (lhs: ContentHash, rhs: ContentHash) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let hex = try container.decode(String.self)
        guard let hash = ContentHash(hex: hex) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(hex) is not a SHA-256 in hex.")
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
