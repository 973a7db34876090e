import Assets
import AssetStore
import Foundation
import HeadExtraction
import Testing
import TestSupport

/// Store failures keep their kind in the extraction's error code.
@Suite struct StoreErrorCodeTests {
    @Test func eachKindOfStoreFailureHasItsCode() {
        let cases: [(StoreError.Kind, String, Int)] = [
            (.diskFull, "STORE_FULL", 507), (.readOnly, "STORE_READ_ONLY", 500), (.corruptCatalog, "STORE_CORRUPT", 500),
            (.corruptBlob, "STORE_CORRUPT", 500), (.malformedRow, "STORE_CORRUPT", 500), (.io, "STORE_ERROR", 500),
        ]
        for (kind, code, status) in cases {
            let error = APIError(StoreError(kind, "The store failed; fix it."))
            #expect(error.code == code)
            #expect(error.errorClass == .internal)
            #expect(error.httpStatus == status)
            #expect(error.message == "The store failed; fix it.")
        }
    }

    /// A store on a 2 MiB tmpfs, filled up: the next answer cannot be stored, and says why.
    @Test func aFullDiskIsStoreFull() async throws {
        let folder = TemporaryDirectory("store-full")
        let mountPoint = folder.path("disk")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.path])
        guard mount.status == 0 else {
            print("StoreErrorCodeTests: skipped aFullDiskIsStoreFull: cannot mount a tmpfs here (it needs root): \(mount.stderrText)")
            return
        }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            umount.arguments = ["umount", "-l", mountPoint.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let store = try Store(at: mountPoint.appendingPathComponent("store"))
        let manager = AssetManager(store: store, engine: MockEngine(service: MockService()))
        _ = try await manager.extract(gracePhoto)

        // Fill the disk, then ask for a new photo.
        let fillerPath = mountPoint.appendingPathComponent("filler").path
        #expect(FileManager.default.createFile(atPath: fillerPath, contents: nil))
        let filler = try #require(FileHandle(forWritingAtPath: fillerPath))
        let chunk = Data(count: 64 * 1024)
        while (try? filler.write(contentsOf: chunk)) != nil {}
        try? filler.close()

        await #expect { try await manager.extract(astronautPhoto) } throws: { error in
            let error = error as? APIError
            return error?.code == "STORE_FULL" && error?.errorClass == .internal && error?.message.contains("free some disk space") == true
        }
        // What was stored before is still answered.
        #expect(try await manager.extract(gracePhoto).cache == .hit)
    }
}
