import CCurl
import Foundation
import Synchronization

/// One libcurl share handle: the connection cache, DNS cache and TLS sessions that the easy
/// handles set on it have in common, so a transfer reuses a connection an earlier one left open.
///
/// libcurl does not support one connection cache used by concurrent threads (its known bug
/// "A shared connection cache is not thread-safe", still open in 7.88.1), so a share is never
/// used by two transfers at once: ``CurlSharePool`` lends each to one transfer at a time. It
/// still moves between transfer threads over its life, and libcurl wants lock callbacks for a
/// share used from more than one thread, so it has them: one lock per kind of data.
final class CurlShare: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    /// One lock per `curl_lock_data` value, indexed by its raw value.
    fileprivate let locks: [NSLock]

    /// Makes a share of connections, DNS answers and TLS sessions; `nil` if libcurl cannot.
    init?() {
        guard CurlGlobal.initialized, let handle = curl_share_init() else { return nil }
        self.handle = handle
        locks = (0..<Int(CURL_LOCK_DATA_LAST.rawValue)).map { _ in NSLock() }
        let context = Unmanaged.passUnretained(self).toOpaque()
        let ready = assets_share_setopt_lock_callback(handle, CURLSHOPT_LOCKFUNC, curlShareLockCallback) == CURLSHE_OK
            && assets_share_setopt_unlock_callback(handle, CURLSHOPT_UNLOCKFUNC, curlShareUnlockCallback) == CURLSHE_OK
            && assets_share_setopt_pointer(handle, CURLSHOPT_USERDATA, context) == CURLSHE_OK
            && [CURL_LOCK_DATA_CONNECT, CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION].allSatisfy { data in
                assets_share_setopt_long(handle, CURLSHOPT_SHARE, Int(data.rawValue)) == CURLSHE_OK
            }
        guard ready else {
            curl_share_cleanup(handle)
            return nil
        }
    }

    deinit {
        // Every easy handle set on this share holds it, so none is left when this runs.
        curl_share_cleanup(handle)
    }

    fileprivate func lock(for data: curl_lock_data) -> NSLock? {
        let index = Int(data.rawValue)
        return locks.indices.contains(index) ? locks[index] : nil
    }
}

// C callbacks capture nothing, so each finds its share through the userdata pointer.

private func curlShareLockCallback(_ handle: UnsafeMutableRawPointer?, _ data: curl_lock_data, _ access: curl_lock_access, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<CurlShare>.fromOpaque(context).takeUnretainedValue().lock(for: data)?.lock()
}

private func curlShareUnlockCallback(_ handle: UnsafeMutableRawPointer?, _ data: curl_lock_data, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<CurlShare>.fromOpaque(context).takeUnretainedValue().lock(for: data)?.unlock()
}

/// The shares of one ``CurlTransport`` (and its copies), each lent to one transfer at a time.
///
/// A transfer takes the share returned last, so calls one after another all use the same share
/// and its open connection; calls at once take one each (at most as many as the transport has
/// transfer threads). A share, and the connections it keeps open, lives as long as the pool.
final class CurlSharePool: Sendable {
    private let idle = Mutex<[CurlShare]>([])

    /// Runs `body` with a share no other transfer is using; `nil` if libcurl could not make one,
    /// in which case the transfer simply opens a connection of its own.
    func withShare<T>(_ body: (CurlShare?) throws -> T) rethrows -> T {
        let share = idle.withLock { $0.popLast() } ?? CurlShare()
        defer {
            if let share { idle.withLock { $0.append(share) } }
        }
        return try body(share)
    }
}
