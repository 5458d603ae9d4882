import DrillSupport
import DrillTestSupport
import Foundation
import Synchronization
import Testing

/// SIGINT and SIGTERM mid-restore: exit 130 after teardown, a report that says so, nothing left.
@Suite("Interrupted drills", .serialized)
struct InterruptTests {
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func aSignalDuringRestoreTearsDownAndExits130(signal: Int32) async throws {
        let workspace = try TestWorkspace("interrupt")
        defer { workspace.remove() }
        // A plain SQL "dump" whose restore takes a minute: the signal lands while psql runs it.
        let artifact = try workspace.write(
            "slow.sql", "--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (i int);\nSELECT pg_sleep(60);\n")
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]
        builder.checks = []
        builder.variables = ["unused: x"]
        let drill = try workspace.write("drill.yaml", builder.yaml)

        let pid = Atomic<Int32>(0)
        let restoring = Atomic<Bool>(false)
        let run = Task {
            try await DrillCLI.run(
                ["run", "--verbose", drill], workspace: workspace, onStart: { pid.store($0, ordering: .relaxed) },
                onLine: { line in if line.contains("restore: started") { restoring.store(true, ordering: .relaxed) } })
        }
        for _ in 0..<300 where !restoring.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(50)) }
        let reachedRestore = restoring.load(ordering: .relaxed)
        #expect(reachedRestore, "the drill never reached the restore phase")
        try await Task.sleep(for: .milliseconds(500))
        // A server process must exist now, or the test proves nothing about teardown.
        #expect(!workspace.leftoverServerProcesses().isEmpty)
        let drillPID = pid.load(ordering: .relaxed)
        kill(drillPID, signal)

        let result = try await run.value
        #expect(result.exitCode == 130, "\(result.allOutput)")
        #expect(result.standardError.contains("interrupted (") && result.standardError.contains("tearing down"))
        let report = try DrillCLI.report(in: workspace.file("reports"))
        #expect(report["status"] as? String == "error")
        #expect(report["exit_code"] as? Int == 130)
        let teardown = (report["phases"] as? [[String: Any]])?.first { $0["name"] as? String == "teardown" }
        #expect(teardown?["status"] as? String == "passed")
        #expect(workspace.leftoversInTmp().isEmpty, "left: \(workspace.leftoversInTmp())")
        #expect(workspace.leftoverServerProcesses().isEmpty)
    }
}
