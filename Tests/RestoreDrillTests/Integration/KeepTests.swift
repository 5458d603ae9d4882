import DrillSupport
import DrillTestSupport
import Foundation
import Testing

@Suite("Keeping the restored server", .serialized)
struct KeepTests {
    @Test func keepPrintsAConnectCommandThatWorksAndAStopCommandThatCleansUp() async throws {
        let sample = try await SampleDrill.prepare("keep")
        defer { sample.remove() }
        let workspace = sample.workspace

        let run = try await sample.run(options: ["--keep"])
        #expect(run.exitCode == 0, "\(run.allOutput)")
        let lines = run.standardError.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let connect = try #require(lines.first { $0.hasPrefix("connect:") }).dropFirst("connect:".count)
        let stop = try #require(lines.first { $0.hasPrefix("stop:") }).dropFirst("stop:".count)
        #expect(!workspace.leftoverServerProcesses().isEmpty, "the server must still run")

        let query = try await ProcessRunner.run(
            ToolInvocation(executable: "/bin/sh", arguments: ["-c", "\(connect) -Atc 'SELECT count(*) FROM app.catalog_items'"]))
        #expect(query.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "5000", "\(query.standardError)")

        let stopped = try await ProcessRunner.run(ToolInvocation(executable: "/bin/sh", arguments: ["-c", String(stop)]))
        #expect(stopped.succeeded, "\(stopped.standardError)")
        #expect(workspace.leftoverServerProcesses().isEmpty)
        #expect(workspace.leftoversInTmp().isEmpty)
    }
}
