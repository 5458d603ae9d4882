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
        var sample = try await SampleDrill.prepare("checkkind")
        defer { sample.remove() }
        let checkFile = try sample.workspace.write("mine/odd.yaml", "id: odd\nkind: ouija\nquery: SELECT 1\nexpect: true\n")
        sample.drill.checks = [checkFile]
        let run = try await sample.run()
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("\(checkFile):2:"))
        #expect(run.standardError.contains("unknown check kind 'ouija'"))
    }

    @Test func anUnsetSecretExitsTwoWithoutProvisioning() async throws {
        let sample = try await SampleDrill.prepare("nosecret")
        defer { sample.remove() }
        let run = try await sample.run(environment: [:])
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("secret env:TEST_ADMIN_PASSWORD could not be resolved"))
        #expect(try sample.suiteNames() == ["plan"])
    }

    @Test func aMissingPostgresMajorExitsThreeNamingTheVersion() async throws {
        let sample = try await SampleDrill.prepare("nomajor")
        defer { sample.remove() }
        // The backup says it came from PostgreSQL 11, which is not installed here.
        let sidecar = sample.artifact + ".restore-drill.json"
        let text = try String(contentsOfFile: sidecar, encoding: .utf8)
        try text.replacingOccurrences(of: #""server_version" : "[^"]+""#, with: "\"server_version\" : \"11.22\"", options: .regularExpression)
            .write(toFile: sidecar, atomically: true, encoding: .utf8)
        let run = try await sample.run()
        #expect(run.exitCode == 3)
        #expect(run.standardError.contains("PostgreSQL 11 server binaries are not installed"))
        #expect(run.standardError.contains("apt-get install postgresql-11"))
        #expect(sample.workspace.leftoversInTmp().isEmpty)
    }

    @Test func planPrintsThePlanAndRestoresNothing() async throws {
        let sample = try await SampleDrill.prepare("plan")
        defer { sample.remove() }
        let drill = try sample.workspace.write("drill.yaml", sample.drill.yaml)
        let run = try await DrillCLI.run(["plan", drill], workspace: sample.workspace, environment: SampleDrill.passwordEnvironment)
        #expect(run.exitCode == 0, "\(run.allOutput)")
        #expect(run.standardOutput.contains("restore:   into database app with pg_restore"))
        #expect(run.standardOutput.contains("[app-example] app.admin-login"))
        #expect(!FileManager.default.fileExists(atPath: sample.reports))
        #expect(sample.workspace.leftoversInTmp().isEmpty)
    }

    /// `plan --json` for tooling: the same plan as data, nothing restored.
    @Test func planJSONSaysTheSameAsThePlan() async throws {
        let sample = try await SampleDrill.prepare("plan-json")
        defer { sample.remove() }
        let drill = try sample.workspace.write("drill.yaml", sample.drill.yaml)
        let run = try await DrillCLI.run(["plan", "--json", drill], workspace: sample.workspace, environment: SampleDrill.passwordEnvironment)
        #expect(run.exitCode == 0, "\(run.allOutput)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
        #expect(plan["drill"] as? String == "test-drill")
        let backup = plan["backup"] as? [String: Any] ?? [:]
        #expect(backup["format"] as? String == "pg_dump/custom" && (backup["sha256"] as? String)?.count == 64, "\(backup)")
        #expect((plan["server"] as? [String: Any])?["database"] as? String == "app")
        #expect(plan["recovery"] is NSNull)
        let checks = plan["checks"] as? [[String: Any]] ?? []
        #expect(checks.contains { $0["id"] as? String == "app.admin-login" && $0["pack"] as? String == "app-example" }, "\(checks)")
        #expect((plan["targets"] as? [String: Double])?["rpo_seconds"] == 86400)
        #expect(!FileManager.default.fileExists(atPath: sample.reports))
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
        let sample = try await SampleDrill.prepare("record")
        defer { sample.remove() }
        let artifact = sample.artifact
        try FileManager.default.removeItem(atPath: artifact + ".restore-drill.json")
        let run = try await DrillCLI.run(["record", artifact], workspace: sample.workspace)
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
