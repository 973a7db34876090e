import Foundation

/// Paths inside this repository and its build folder, found without reading anything outside it.
public enum Repository {
    /// The package root, from this file's location.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `Tests/Fixtures/NAME`.
    public static func fixture(_ name: String) -> URL {
        root.appendingPathComponent("Tests/Fixtures/\(name)")
    }

    /// `Tests/Support/NAME`.
    public static func support(_ name: String) -> URL {
        root.appendingPathComponent("Tests/Support/\(name)")
    }

    /// The folder holding the built products of this test run (`.build/<triple>/debug`).
    public static let productsFolder: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        // Inside an .xctest bundle on other platforms, climb out of it.
        while folder.pathComponents.contains(where: { $0.hasSuffix(".xctest") }) {
            folder = folder.deletingLastPathComponent()
        }
        return folder
    }()

    /// A built executable of this package, such as `assets`.
    public static func product(_ name: String) -> URL {
        productsFolder.appendingPathComponent(name)
    }
}
