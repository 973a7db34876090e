import Foundation

/// A real `moto_server` on loopback with signature checking on, for the shared tier's tests.
///
/// Started with `INITIAL_NO_AUTH_ACTION_COUNT=3`: Tests/Support/moto_s3.py spends those three
/// unauthenticated calls on an IAM user, its policy and its access key, and from then on moto
/// refuses any request not signed with that key. ``accessKeyID`` and ``secretAccessKey`` are
/// that key.
public final class MotoServer: @unchecked Sendable {
    public let service: ServiceProcess
    public let endpoint: URL
    public let accessKeyID: String
    public let secretAccessKey: String

    /// `$ASSETS_MOTO_SERVER`, else the one `.ci/run` installs (`~/.cache/assets/moto-bin`),
    /// else `moto_server` on `PATH`, or `nil`. Not `PATH` first: an older moto there (5.2.1)
    /// checks a signed `prefix=a%2F` query wrongly.
    public static let executable: URL? = {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        let candidates = [environment["ASSETS_MOTO_SERVER"].map { URL(fileURLWithPath: $0) },
                          cache.appendingPathComponent("assets/moto-bin/moto_server")]
        for case let candidate? in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return ServiceProcess.which("moto_server")
    }()

    /// Whether the tests that need moto can run here.
    public static var isAvailable: Bool { executable != nil }

    /// The Python that runs moto_s3.py: the one beside `moto_server`, which has boto3.
    static var python: URL {
        // Through any link (.ci/run puts only a link to the venv's moto_server on PATH).
        let beside = executable?.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("python3")
        if let beside, FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: "/usr/bin/python3")
    }

    /// Starts moto on a free port, creates the key and `buckets` (signed with it).
    public static func start(buckets: [String]) async throws -> MotoServer {
        guard let executable else {
            throw ServiceProcessError(message: "moto_server is not on PATH; run .ci/run, or pip install 'moto[server]'.")
        }
        var lastError: (any Error)?
        // A free port can be taken between choosing it and binding it: try a few.
        for _ in 0..<3 {
            let port = try ServiceProcess.freePort()
            do {
                let service = try await ServiceProcess.start(
                    executable, port: port, arguments: ["-H", "127.0.0.1", "-p", String(port)],
                    environment: [
                        "INITIAL_NO_AUTH_ACTION_COUNT": "3",
                        "AWS_ACCESS_KEY_ID": nil, "AWS_SECRET_ACCESS_KEY": nil, "AWS_SESSION_TOKEN": nil,
                        "PYTHONUNBUFFERED": "1",
                    ]
                )
                let endpoint = URL(string: "http://127.0.0.1:\(port)")!
                let setup = try await ChildProcess.run(python, [Repository.support("moto_s3.py").path, "setup", endpoint.absoluteString] + buckets)
                guard setup.status == 0,
                      let key = try? JSONDecoder().decode([String: String].self, from: setup.stdout),
                      let id = key["access_key_id"], let secret = key["secret_access_key"] else {
                    throw ServiceProcessError(message: "moto_s3.py setup failed: \(setup.stderrText.suffix(2000))")
                }
                return MotoServer(service: service, endpoint: endpoint, accessKeyID: id, secretAccessKey: secret)
            } catch {
                lastError = error
            }
        }
        throw lastError!
    }

    private init(service: ServiceProcess, endpoint: URL, accessKeyID: String, secretAccessKey: String) {
        self.service = service
        self.endpoint = endpoint
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    /// Runs a moto_s3.py command signed with this server's key.
    public func helper(_ arguments: [String]) async throws -> ProcessResult {
        let command = [Repository.support("moto_s3.py").path, arguments[0], endpoint.absoluteString] + arguments.dropFirst()
        let environment: [String: String?] = ["AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_SESSION_TOKEN": nil]
        let result = try await ChildProcess.run(Self.python, command, environment: environment)
        guard result.status == 0 else {
            throw ServiceProcessError(message: "moto_s3.py \(arguments[0]) failed: \(result.stderrText.suffix(2000))")
        }
        return result
    }

    /// Writes `data` under `key` directly, as another client (or a fault) would.
    public func putObject(bucket: String, key: String, data: Data) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("moto-object-\(UUID().uuidString)")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await helper(["put", bucket, key, file.path])
    }

    /// Every key in `bucket` under `prefix`, listed by boto3.
    public func keys(bucket: String, prefix: String) async throws -> [String] {
        let result = try await helper(["keys", bucket, prefix])
        return try JSONDecoder().decode([String].self, from: result.stdout)
    }

    /// Temporary credentials from moto's STS: a key, a secret and a session token.
    public func sessionCredentials() async throws -> [String: String] {
        let result = try await helper(["session"])
        return try JSONDecoder().decode([String: String].self, from: result.stdout)
    }
}
