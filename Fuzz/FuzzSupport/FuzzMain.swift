import Foundation
#if FUZZING
import CLibFuzzer
#endif

/// The `main` of every harness in `Fuzz/`.
///
/// ```swift
/// FuzzMain.run { data in _ = try? ImageProbe.probe(data, name: "input") }
/// ```
///
/// Built by `scripts/fuzz` (with `-sanitize=fuzzer -DFUZZING`), the program is a libFuzzer
/// fuzzer: it hands its arguments to `LLVMFuzzerRunDriver` and libFuzzer calls `body` for each
/// input. Keeping our own `main` and calling the driver, instead of exporting
/// `LLVMFuzzerTestOneInput` for libFuzzer's `main`, means the file needs no `-parse-as-library`
/// and links the same way under SwiftPM with and without the sanitizer.
///
/// In a plain `swift build` the program runs `body` once on each file or folder of files named
/// on its command line, so the targets always compile and any input can be replayed in a
/// debugger without the fuzzer runtime.
public enum FuzzMain {
    /// libFuzzer's callback is a C function pointer, which cannot capture: it reads this.
    nonisolated(unsafe) private static var body: (Data) -> Void = { _ in }

    public static func run(_ body: @escaping (Data) -> Void) -> Never {
        Self.body = body
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, size in
            FuzzMain.body(bytes.map { Data(bytes: $0, count: size) } ?? Data())
            return 0
        })
        #else
        var count = 0
        for argument in CommandLine.arguments.dropFirst() {
            for file in files(at: URL(fileURLWithPath: argument)) {
                guard let data = try? Data(contentsOf: file) else {
                    FileHandle.standardError.write(Data("cannot read \(file.path)\n".utf8))
                    exit(2)
                }
                body(data)
                count += 1
            }
        }
        print("ran \(count) inputs without a crash")
        exit(0)
        #endif
    }

    /// `url` itself, or the regular files directly inside it, sorted by name.
    private static func files(at url: URL) -> [URL] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            return [url]
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.sorted().map { url.appendingPathComponent($0) }.filter {
            (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
    }
}
