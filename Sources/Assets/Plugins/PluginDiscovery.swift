import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds backend plugins: executables named `assets-backend-NAME`.
///
/// The folders are searched in order: each of `$ASSETS_BACKEND_PATH` (colon-separated), then
/// `$XDG_DATA_HOME/assets/backends` (else `~/.local/share/assets/backends`), then `$PATH`. The
/// first match of a name wins; later ones are shadowed by it. A plugin named like a built-in
/// backend is shadowed by the built-in and never started.
public enum PluginDiscovery {
    /// The file name prefix of every plugin.
    public static let prefix = "assets-backend-"

    /// A plugin file found in a search folder.
    public struct Found: Sendable, Hashable {
        public var name: String
        public var url: URL
        /// What hides it: `built-in NAME` or the path of an earlier plugin of the same name.
        public var shadowedBy: String?
    }

    /// The search folders, in order.
    public static func folders(environment: [String: String]) -> [URL] {
        var folders: [String] = []
        if let path = environment["ASSETS_BACKEND_PATH"] {
            folders += path.split(separator: ":").map(String.init)
        }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            folders.append(data + "/assets/backends")
        } else if let home = environment["HOME"], !home.isEmpty {
            folders.append(home + "/.local/share/assets/backends")
        }
        if let path = environment["PATH"] {
            folders += path.split(separator: ":").map(String.init)
        }
        return folders.filter { !$0.isEmpty }.map { URL(fileURLWithPath: $0, isDirectory: true) }
    }

    /// Whether `name` is a valid plugin name: lowercase letters, digits and `-`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// The plugin `name` would start, or `nil` if there is none (or a built-in has that name).
    public static func find(_ name: String, builtIns: Set<String>, environment: [String: String]) -> URL? {
        guard isValidName(name), !builtIns.contains(name) else { return nil }
        for folder in folders(environment: environment) {
            let candidate = folder.appendingPathComponent(prefix + name)
            if isExecutableFile(candidate.path) { return candidate }
        }
        return nil
    }

    /// Every plugin file in the search folders, in search order, shadowed ones included.
    public static func all(builtIns: Set<String>, environment: [String: String]) -> [Found] {
        var found: [Found] = []
        var first: [String: URL] = [:]
        var seenFolders = Set<String>()
        for folder in folders(environment: environment) {
            let resolved = folder.standardizedFileURL.path
            guard seenFolders.insert(resolved).inserted,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for file in names.sorted() where file.hasPrefix(prefix) {
                let name = String(file.dropFirst(prefix.count))
                let url = folder.appendingPathComponent(file)
                guard isValidName(name), isExecutableFile(url.path) else { continue }
                var entry = Found(name: name, url: url)
                if builtIns.contains(name) {
                    entry.shadowedBy = "built-in \(name)"
                } else if let earlier = first[name] {
                    entry.shadowedBy = earlier.path
                } else {
                    first[name] = url
                }
                found.append(entry)
            }
        }
        return found
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
