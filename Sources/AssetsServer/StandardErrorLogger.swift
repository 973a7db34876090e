import Foundation
import Logging
import Synchronization

extension Logger {
    /// A logger writing to stderr, at the level in `LOG_LEVEL` (default `info`), so that stdout
    /// stays free for results such as the `listening on` line.
    ///
    /// ```swift
    /// let logger = Logger.standardError(label: "assets.serve")
    /// ```
    public static func standardError(label: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Logger {
        var logger = Logger(label: label) { StandardErrorLogHandler(label: $0) }
        logger.logLevel = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        return logger
    }
}

/// One line a message on stderr, in `StreamLogHandler`'s layout:
/// `2026-12-01T20:48:52+0000 info assets.serve: method=POST status=200 [AssetsServer] request`.
///
/// What it does differently is cost: a server writes a line per request, and
/// `StreamLogHandler` formats the time with `localtime` and `strftime` for each one (reading
/// the time zone from the environment every time). Here the time stamp is formatted once a
/// second, and the line reaches stderr in one `write`.
struct StandardErrorLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let explicit = event.metadata { fields.merge(explicit) { _, new in new } }
        if let error = event.error {
            fields["error.message"] = "\(error)"
            fields["error.type"] = "\(String(reflecting: type(of: error)))"
        }

        var line = Self.timestamp()
        line += " \(event.level) \(label):"
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(value)"
        }
        line += " [\(event.source)] \(event.message)\n"
        line.withUTF8 { bytes in
            var rest = UnsafeRawBufferPointer(bytes)
            while !rest.isEmpty {
                let written = write(STDERR_FILENO, rest.baseAddress, rest.count)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                rest = UnsafeRawBufferPointer(rebasing: rest[written...])
            }
        }
    }

    /// The current second, formatted when it changes.
    private static let lastStamp = Mutex<(second: time_t, text: String)>((-1, ""))

    /// The local time as `2026-12-01T20:48:52+0000`.
    static func timestamp() -> String {
        let now = time(nil)
        return lastStamp.withLock { last in
            if last.second != now {
                var now = now
                var parts = tm()
                var buffer = [CChar](repeating: 0, count: 64)
                localtime_r(&now, &parts)
                let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
                last = (now, String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return last.text
        }
    }
}
