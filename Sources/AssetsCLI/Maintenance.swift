import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How `cache gc` and `cache verify` share the machine with a live server.
enum Maintenance {
    /// The niceness maintenance runs at: the scheduler then gives a server beside it (at 0) the
    /// CPU first, and a maintenance run only takes what is idle. On 2 cores, a gc loop on a
    /// 100,000-entry store at the default niceness doubled a serving process's p99.
    static let niceness: Int32 = 10

    /// Lowers this process's CPU priority to ``niceness`` (never raises it).
    static func yieldToServers() {
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        if errno == 0, current < niceness {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        }
    }
}
