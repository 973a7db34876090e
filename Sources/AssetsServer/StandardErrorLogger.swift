import Foundation
import Logging

extension Logger {
    /// A logger writing to stderr, at the level in `LOG_LEVEL` (default `info`), so that stdout
    /// stays free for results such as the `listening on` line.
    ///
    /// ```swift
    /// let logger = Logger.standardError(label: "assets.serve")
    /// ```
    public static func standardError(label: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        return logger
    }
}
