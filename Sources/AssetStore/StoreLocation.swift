import Foundation

/// Where the store lives: `--store DIR`, else `ASSETS_STORE`, else `$XDG_CACHE_HOME/assets`,
/// else `~/.cache/assets`.
public enum StoreLocation {
    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit, !explicit.isEmpty { return url(explicit) }
        if let fromEnvironment = environment["ASSETS_STORE"], !fromEnvironment.isEmpty { return url(fromEnvironment) }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return url(xdg).appendingPathComponent("assets", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return url(home).appendingPathComponent(".cache/assets", isDirectory: true)
    }

    private static func url(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        return URL(fileURLWithPath: expanded, isDirectory: true).standardizedFileURL
    }
}
