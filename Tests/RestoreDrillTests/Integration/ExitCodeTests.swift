import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// Exit 2 for what the user wrote wrong, 3 for what the machine lacks, with messages that say where and what to do.
@Suite("Exit codes and messages", .serialized)
struct ExitCodeTests {
    @Test func aMalformedDrillFileExitsTwoWithFileLineAndColumn() async throws {
        let workspace = try TestWorkspace("malformed")
        defer { workspace.remove() }
        let drill = try workspace.write("drill.yaml", "name: broken\ntargets:\n  rpo: 24h\n   rto: [15m\nbackup: {}\n")
        let run = try await DrillCLI.run(["run", "--reports", workspace.file("reports"), drill], workspace: workspace)
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("\(drill):4:"), "\(run.standardError)")
        // CI still gets a report saying why.
        let junit = try String(contentsOfFile: workspace.file("reports/junit.xml"), encoding: .utf8)
        #expect(junit.contains(#"<error message="\#(drill):4:"#))
        #expect(workspace.leftoversInTmp().isEmpty)
    }

    @Test func anUnknownCheckKindExitsTwoNamingTheCheckFile() async throws {
        let workspace = try TestWorkspace("checkkind")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(into: workspace)
        let checkFile = try workspace.write("mine/odd.yaml", "id: odd\nkind: ouija\nquery: SELECT 1\nexpect: true\n")
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks = [checkFile]
        let drill = try workspace.write("drill.yaml", builder.yaml)
        let run = try await DrillCLI.run(["run", drill], workspace: workspace, environment: DrillRunTests.passwordEnvironment)
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("\(checkFile):2:"))
        #expect(run.standardError.contains("unknown check kind 'ouija'"))
    }

    @Test func anUnsetSecretExitsTwoWithoutProvisioning() async throws {
        let workspace = try TestWorkspace("nosecret")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(into: workspace)
        let drill = try workspace.write("drill.yaml", DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports")).yaml)
        let run = try await DrillCLI.run(["run", drill], workspace: workspace)
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("secret env:TEST_ADMIN_PASSWORD could not be resolved"))
        let phases = (try DrillCLI.report(in: workspace.file("reports"))["phases"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(phases == ["plan"])
    }

    @Test func aMissingPostgresMajorExitsThreeNamingTheVersion() async throws {
        let workspace = try TestWorkspace("nomajor")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(into: workspace)
        // The backup says it came from PostgreSQL 11, which is not installed here.
        let sidecar = artifact + ".restore-drill.json"
        let text = try String(contentsOfFile: sidecar, encoding: .utf8)
        try text.replacingOccurrences(of: #""server_version" : "[^"]+""#, with: "\"server_version\" : \"11.22\"", options: .regularExpression)
            .write(toFile: sidecar, atomically: true, encoding: .utf8)
        let drill = try workspace.write("drill.yaml", DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports")).yaml)
        let run = try await DrillCLI.run(["run", drill], workspace: workspace, environment: DrillRunTests.passwordEnvironment)
        #expect(run.exitCode == 3)
        #expect(run.standardError.contains("PostgreSQL 11 server binaries are not installed"))
        #expect(run.standardError.contains("apt-get install postgresql-11"))
        #expect(workspace.leftoversInTmp().isEmpty)
    }

    @Test func planPrintsThePlanAndRestoresNothing() async throws {
        let workspace = try TestWorkspace("plan")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(into: workspace)
        let drill = try workspace.write("drill.yaml", DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports")).yaml)
        let run = try await DrillCLI.run(["plan", drill], workspace: workspace, environment: DrillRunTests.passwordEnvironment)
        #expect(run.exitCode == 0, "\(run.allOutput)")
        #expect(run.standardOutput.contains("restore:   into database app with pg_restore"))
        #expect(run.standardOutput.contains("[app-example] app.admin-login"))
        #expect(!FileManager.default.fileExists(atPath: workspace.file("reports")))
        #expect(workspace.leftoversInTmp().isEmpty)
    }

    @Test func initWritesAFileThatOnlyNeedsARealBackup() async throws {
        let workspace = try TestWorkspace("init")
        defer { workspace.remove() }
        let created = try await DrillCLI.run(["init", workspace.file("drill.yaml")], workspace: workspace)
        #expect(created.exitCode == 0)
        let again = try await DrillCLI.run(["init", workspace.file("drill.yaml")], workspace: workspace)
        #expect(again.exitCode == 2)
        let plan = try await DrillCLI.run(["plan", workspace.file("drill.yaml")], workspace: workspace)
        #expect(plan.exitCode == 1)
        #expect(plan.standardError.contains("/var/backups/app.dump does not exist"))
    }

    @Test func recordWritesTheMetadataADrillVerifiesAgainst() async throws {
        let workspace = try TestWorkspace("record")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(into: workspace)
        try FileManager.default.removeItem(atPath: artifact + ".restore-drill.json")
        let run = try await DrillCLI.run(["record", artifact], workspace: workspace)
        #expect(run.exitCode == 0)
        let sidecar = try #require(FileManager.default.contents(atPath: artifact + ".restore-drill.json"))
        let metadata = try #require(try JSONSerialization.jsonObject(with: sidecar) as? [String: Any])
        let sha = try await DrillSupportProbe.sha256sum(artifact)
        #expect(metadata["sha256"] as? String == sha)
        #expect(metadata["format"] as? String == "custom")
        #expect(metadata["database"] as? String == "app")
        #expect((metadata["server_version"] as? String)?.isEmpty == false)
    }
}

/// Independent tools to compare our figures with.
enum DrillSupportProbe {
    static func sha256sum(_ path: String) async throws -> String {
        let result = try await DrillSupport.ProcessRunner.run(DrillSupport.ToolInvocation(executable: "sha256sum", arguments: [path]))
        return String(result.standardOutput.prefix(64))
    }
}
