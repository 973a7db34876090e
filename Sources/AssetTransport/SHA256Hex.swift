import Crypto
import Foundation

/// Lowercase hex SHA-256 digests, the names cassettes give to bodies.
///
/// ```swift
/// SHA256Hex.of(Data("abc".utf8)) // "ba7816bf…"
/// try SHA256Hex.ofFile(at: imageURL)
/// ```
public enum SHA256Hex {
    /// The digest of `data`.
    public static func of(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// The digest of the file at `url`, read in chunks so a large file is never held whole.
    ///
    /// - Throws: ``TransportError`` with code ``TransportError/Code/localFile`` when the file
    ///   cannot be read.
    public static func ofFile(at url: URL) throws -> String {
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            var hasher = SHA256()
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
            }
            return hex(hasher.finalize())
        } catch {
            throw TransportError(.localFile, "Could not read \(url.lastPathComponent) to hash it; check that it exists and is readable.")
        }
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}
