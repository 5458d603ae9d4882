import DrillTestSupport
import Foundation
import Testing

/// A harness that cries wolf is as bad as one that misses: the demo drill must pass every
/// time. Long mode (RESTORE_DRILL_LONG=1) runs it 20 times in a row; CI's short mode twice.
@Suite("Good drills stay green", .serialized)
struct DemoStabilityTests {
    static var runs: Int { ProcessInfo.processInfo.environment["RESTORE_DRILL_LONG"] == "1" ? 20 : 2 }

    @Test func theDemoDrillPassesEveryTime() async throws {
        let workspace = try TestWorkspace("stability")
        defer { workspace.remove() }
        var failures: [String] = []
        for attempt in 1...Self.runs {
            let reports = workspace.file("reports-\(attempt)")
            let run = try await DrillCLI.run(["demo", "--reports", reports, "--quiet"], workspace: workspace)
            if run.exitCode != 0 { failures.append("run \(attempt): exit \(run.exitCode.map(String.init) ?? "?")\n\(run.allOutput)") }
            #expect(workspace.leftoversInTmp().isEmpty)
        }
        #expect(failures.isEmpty, "false failures in \(Self.runs) runs:\n\(failures.joined(separator: "\n"))")
        print("demo stability: \(Self.runs - failures.count)/\(Self.runs) runs passed")
    }
}
