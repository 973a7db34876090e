import Foundation
import PostgresNIO

/// Where the shared catalog lives: a PostgreSQL server, a database, a user and its password.
///
/// ```swift
/// let location = try PostgresLocation(parsing: "postgres://assets:secret@db.internal:5432/assets?sslmode=require")
/// print(location)   // postgres://assets@db.internal:5432/assets (no password)
/// ```
///
/// `sslmode` is honoured as libpq does: `disable`, `allow` and `prefer` (the default: TLS when
/// the server offers it), `require` (TLS, the certificate not checked), `verify-ca` (checked
/// against the system's roots, any host name) and `verify-full` (and the host name too).
///
/// - Important: The password never appears in ``description``, ``debugDescription``, a
///   mirror or an error message, and the type is not `Codable`.
public struct PostgresLocation: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public let host: String
    public let port: Int
    public let user: String
    public let database: String
    public let tls: TLSMode
    let password: String?

    /// The values that must never be written anywhere.
    public var secrets: [String] { password.map { [$0] } ?? [] }

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE` (`postgresql://` too;
    /// the port defaults to 5432, the database to the user's name).
    ///
    /// - Throws: ``SharedTierError`` of kind ``SharedTierError/Kind/configuration``: one
    ///   sentence that says what is wrong. It never repeats the URL, which holds a password.
    public init(parsing text: String) throws {
        let example = "such as postgres://USER:PASSWORD@HOST:5432/DATABASE"
        guard let components = URLComponents(string: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let scheme = components.scheme?.lowercased() else {
            throw SharedTierError.configuration("The shared catalog must be a postgres:// URL, \(example); check ASSETS_SHARED_CATALOG or the shared catalog file.")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw SharedTierError.configuration("The shared catalog must be a postgres:// URL, not \(scheme)://, \(example).")
        }
        guard let host = components.host, !host.isEmpty else {
            throw SharedTierError.configuration("The postgres:// URL names no host; write it \(example).")
        }
        guard let user = components.user, !user.isEmpty else {
            throw SharedTierError.configuration("The postgres:// URL names no user; write it \(example).")
        }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.contains("/") else {
            throw SharedTierError.configuration("The postgres:// URL's path must be one database name; write it \(example).")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: item.value ?? "") else {
                    throw SharedTierError.configuration("The postgres:// URL's sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                tls = mode
            case "application_name", "connect_timeout":
                continue
            default:
                throw SharedTierError.configuration("The postgres:// URL has a parameter \(item.name) that is not supported; only sslmode is.")
            }
        }
        self.init(
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host,
            port: components.port ?? 5432, user: user, password: components.password,
            database: database.isEmpty ? user : database, tls: tls
        )
    }

    /// The client configuration for postgres-nio.
    func clientConfiguration() -> PostgresClient.Configuration {
        let tlsConfiguration: PostgresClient.Configuration.TLS
        switch tls {
        case .disable:
            tlsConfiguration = .disable
        case .allow, .prefer:
            var unchecked = TLSConfiguration.makeClientConfiguration()
            unchecked.certificateVerification = .none
            tlsConfiguration = .prefer(unchecked)
        case .require:
            var unchecked = TLSConfiguration.makeClientConfiguration()
            unchecked.certificateVerification = .none
            tlsConfiguration = .require(unchecked)
        case .verifyCA:
            var checked = TLSConfiguration.makeClientConfiguration()
            checked.certificateVerification = .noHostnameVerification
            tlsConfiguration = .require(checked)
        case .verifyFull:
            tlsConfiguration = .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tlsConfiguration)
    }

    /// The configuration of a single connection (for the migrations, whose failures, a wrong
    /// password among them, the pool would retry rather than report).
    func connectionConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        let client = clientConfiguration()
        let tlsMode: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable:
            tlsMode = .disable
        case .allow, .prefer, .require, .verifyCA, .verifyFull:
            var settings = TLSConfiguration.makeClientConfiguration()
            switch tls {
            case .verifyFull: break
            case .verifyCA: settings.certificateVerification = .noHostnameVerification
            default: settings.certificateVerification = .none
            }
            let context = try NIOSSLContext(configuration: settings)
            tlsMode = (tls == .allow || tls == .prefer) ? .prefer(context) : .require(context)
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: client.username, password: client.password, database: client.database, tls: tlsMode)
        configuration.options.connectTimeout = .milliseconds(Int64(connectTimeout.components.seconds * 1000 + connectTimeout.components.attoseconds / 1_000_000_000_000_000))
        return configuration
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["host": host, "port": port, "user": user, "database": database, "password": "<redacted>"], displayStyle: .struct)
    }
}
