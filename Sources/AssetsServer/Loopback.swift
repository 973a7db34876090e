import NIOCore

/// This machine's own addresses.
public enum Loopback {
    /// Whether `address` is in 127.0.0.0/8, `::1`, or `::ffff:127.0.0.0/104`. `nil` is not.
    public static func contains(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .v4(let v4):
            // sin_addr is in network byte order: the first octet is the lowest byte in memory.
            let octets = withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) }
            return octets.first == 127
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            let isLocalhost = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
            let isMappedV4Loopback = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
            return isLocalhost || isMappedV4Loopback
        case .unixDomainSocket:
            // Reaching a Unix socket already takes access to this machine's file system.
            return true
        }
    }
}
