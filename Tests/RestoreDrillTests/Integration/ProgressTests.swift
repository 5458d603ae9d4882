import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// In CI (no terminal) a long step that prints nothing else still says it runs, every 10 s.
@Suite("Progress on long steps")
struct ProgressTests {
    @Test func aSilentRestoreSaysItIsStillRunning() async throws {
        let workspace = try TestWorkspace("progress")
        defer { workspace.remove() }
        let artifact = try workspace.write("slow.sql", "--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (i int);\nSELECT pg_sleep(12);\n--\n-- PostgreSQL database dump complete\n--\n")
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]
        builder.checks = []
        builder.variables = ["note: slow"]
        builder.backupExtra = ["content: partial"]

        let run = try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let heartbeats = run.standardError.split(separator: "\n").filter { $0.hasPrefix("[restore-drill]   restore: running for ") }
        #expect(heartbeats.count == 1, "\(run.standardError)")
    }
}
