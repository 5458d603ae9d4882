import DrillSupport
import DrillTestSupport
import Foundation
import Synchronization
import Testing

/// Reports are never lost or misplaced: the folder is claimed before anything is restored.
@Suite("The reports folder", .serialized)
struct ReportsFolderTests {
    /// Two drills with the default folder at the same time: the second one stops (exit 3) and
    /// the first one's verdict is the one on disk.
    @Test func aFolderInUseByAnotherDrillIsRefusedAndNothingIsReplaced() async throws {
        let workspace = try TestWorkspace("reports-in-use")
        defer { workspace.remove() }
        let slow = try workspace.write(
            "slow.sql",
            "--\n-- PostgreSQL database dump\n--\n-- Name: t; Type: TABLE; Schema: public; Owner: postgres\nCREATE TABLE t (i int);\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: postgres\nCOPY public.t (i) FROM stdin;\n1\n\\.\nSELECT pg_sleep(4);\n--\n-- PostgreSQL database dump complete\n--\n")
        let shared = workspace.file("reports")
        var first = DrillFileBuilder(artifact: slow, reportsDirectory: shared)
        first.name = "first-drill"
        first.checks = []
        first.variables = ["note: first"]
        first.postgresExtra = ["version: \(try await TestServer.newestMajor())"]
        var second = first
        second.name = "second-drill"
        let firstPath = try workspace.write("first.yaml", first.yaml)
        let secondPath = try workspace.write("second.yaml", second.yaml)
        let restoring = Atomic<Bool>(false)
        let firstRun = Task {
            try await DrillCLI.run(["run", "--verbose", firstPath], workspace: workspace, onLine: { if $0.contains("restore: started") { restoring.store(true, ordering: .relaxed) } })
        }
        for _ in 0..<300 where !restoring.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(50)) }

        let secondRun = try await DrillCLI.run(["run", secondPath], workspace: workspace)
        let firstResult = try await firstRun.value

        #expect(secondRun.exitCode == 3, "\(secondRun.allOutput)")
        #expect(secondRun.standardError.contains("is in use by another drill running now"), "\(secondRun.standardError)")
        #expect(firstResult.exitCode == 0, "\(firstResult.allOutput)")
        let report = try DrillCLI.report(in: shared)
        #expect(report["drill"] as? String == "first-drill")
    }

    @Test func aFolderInsideTheBackupIsRefusedBeforeAnythingIsRestored() async throws {
        var sample = try await SampleDrill.prepare("reports-in-backup", format: .directory)
        defer { sample.remove() }
        let before = try await ContentDigest.of(path: sample.artifact)
        sample.drill.reportsDirectory = sample.artifact + "/reports"

        let run = try await sample.run()

        #expect(run.exitCode == 3, "\(run.allOutput)")
        #expect(run.standardError.contains("is inside the backup source \(sample.artifact)"), "\(run.standardError)")
        #expect(!run.allOutput.contains("restore: passed"))
        #expect(try await ContentDigest.of(path: sample.artifact) == before, "the backup must not change")
        #expect(!FileManager.default.fileExists(atPath: sample.artifact + "/reports"))
    }

    @Test func aFolderThatCannotBeWrittenStopsTheDrillBeforeTheRestore() async throws {
        var sample = try await SampleDrill.prepare("reports-unwritable")
        defer { sample.remove() }
        let blocker = try sample.workspace.write("not-a-folder", "a file where the reports folder should be\n")
        sample.drill.reportsDirectory = blocker + "/reports"

        let run = try await sample.run()

        #expect(run.exitCode == 3, "\(run.allOutput)")
        #expect(run.standardError.contains("cannot be created"), "\(run.standardError)")
        #expect(!run.allOutput.contains("restore: passed"))
    }
}
