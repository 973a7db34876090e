import ArgumentParser
import Foundation
import AssetStore

/// Where output goes: results to stdout, everything for people to stderr.
enum Terminal {
    /// Writes a line to stdout. Flushed at exit by ``flush()``.
    static func out(_ line: String) {
        print(line)
    }

    /// Writes a line to stderr, unbuffered.
    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// stdout is block-buffered when piped: flush before exiting, or lines are lost.
    static func flush() {
        fflush(nil)  // every output stream; `stdout` itself is not concurrency-safe to name
    }

    /// Prints `Error: message` and returns the exit code 2 (the store or the configuration
    /// cannot be used) for the caller to throw.
    static func fail(_ message: String) -> ExitCode {
        flush()
        err("Error: \(message)")
        return ExitCode(2)
    }

    /// Encodes a value as one line of JSON, keys sorted so that output is stable.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Encodes a value as one line of JSON spaced for reading (`{"entries": 0, "blobs": 0}`).
    static func spacedJSON(_ value: some Encodable) -> String {
        var out = ""
        var inString = false
        var escaped = false
        for character in json(value) {
            out.append(character)
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == ":" || character == "," {
                out.append(" ")
            }
        }
        return out
    }

    /// Whether stderr is an interactive terminal.
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }
}

extension Terminal {
    /// Runs a store operation; a ``StoreError`` becomes one `Error:` line (with the flags that
    /// fix it, see ``FlagAdvice``) and exit status 2.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw fail(FlagAdvice.message(error))
        }
    }
}
