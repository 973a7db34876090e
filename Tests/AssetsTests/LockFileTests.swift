import Assets
import AssetStore
import Foundation
import Testing
import TestSupport

/// Single-flight leaves no lock file behind: `locks/` does not grow with every photo.
@Suite struct LockFileTests {
    let fixture: ManagerFixture

    init() throws {
        fixture = try ManagerFixture()
    }

    @Test func distinctExtractionsLeaveNoLockFilesBehind() async throws {
        let manager = fixture.manager()
        _ = try await manager.extract(gracePhoto)
        _ = try await manager.extract(astronautPhoto)
        _ = try await manager.extract(.file(Repository.fixture("coffee.png")))
        #expect(fixture.calls == 3)
        let locks = try FileManager.default.contentsOfDirectory(atPath: fixture.store.locksFolder.path)
        #expect(locks.isEmpty, "\(locks)")
    }
}
