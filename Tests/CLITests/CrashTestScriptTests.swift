import Foundation
import Testing
import TestSupport

/// A short run of `scripts/crash-test`: batch extractions killed with SIGKILL at random moments.
@Suite struct CrashTestScriptTests {
    @Test func killedBatchesLoseNothingAndNeverPayTwice() throws {
        let result = try ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", Repository.root.appendingPathComponent("scripts/crash-test").path,
             "--kills", "4", "--new-per-round", "4", "--assets", Repository.product("assets").path]
        )
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stdoutText.contains("crash-test: passed"))
        #expect(result.stdoutText.contains("4 kills"))
    }
}
