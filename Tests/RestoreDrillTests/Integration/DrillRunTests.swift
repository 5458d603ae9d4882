import DrillTestSupport
import Foundation
import Testing

/// Whole drills through the built executable, as CI runs them.
@Suite("Drills end to end", .serialized)
struct DrillRunTests {
    static let passwordEnvironment = ["TEST_ADMIN_PASSWORD": SampleBackupCache.adminPassword]

    @Test func aGoodBackupPassesWithValidReportsAndACleanMachine() async throws {
        let workspace = try TestWorkspace("good")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(into: workspace)
        let before = try Data(contentsOf: URL(fileURLWithPath: artifact))
        let drill = try workspace.write("drill.yaml", DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports")).yaml)

        let run = try await DrillCLI.run(["run", drill], workspace: workspace, environment: Self.passwordEnvironment)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try DrillCLI.report(in: workspace.file("reports"))
        #expect(report["status"] as? String == "passed")
        let checks = try #require(report["checks"] as? [[String: Any]])
        #expect(checks.count == 6)
        #expect(checks.allSatisfy { $0["status"] as? String == "passed" })
        let phases = (report["phases"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(phases == ["plan", "verify", "provision", "restore", "quarantine", "measure", "teardown"])
        let measurements = try #require(report["measurements"] as? [String: Any])
        #expect((measurements["rto_seconds"] as? Double ?? 0) > 0)
        #expect((report["targets"] as? [String: Any])?["rto_seconds"] as? Double == 900)
        #expect(try await DrillCLI.schemaProblems(junit: workspace.file("reports/junit.xml")) == nil)
        #expect(workspace.leftoversInTmp().isEmpty, "temp dirs left: \(workspace.leftoversInTmp())")
        #expect(workspace.leftoverServerProcesses().isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: artifact)) == before, "the source backup must be untouched")
    }

    @Test func aFailingCheckExitsOneWithItsMessageInTheReport() async throws {
        let workspace = try TestWorkspace("failcheck")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(into: workspace)
        try workspace.write(
            "extra/no-users.yaml",
            """
            id: extra.no-users
            name: Users table is empty
            query: SELECT count(*) = 0 FROM app.users
            expect: true
            message: the users table should have been emptied by the GDPR purge
            """)
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks.append(workspace.file("extra/no-users.yaml"))
        let drill = try workspace.write("drill.yaml", builder.yaml)

        let run = try await DrillCLI.run(["run", drill], workspace: workspace, environment: Self.passwordEnvironment)

        #expect(run.exitCode == 1)
        let junit = try String(contentsOfFile: workspace.file("reports/junit.xml"), encoding: .utf8)
        #expect(junit.contains(#"<testsuite name="restore-drill.checks.extra" tests="1" failures="1" errors="0""#))
        #expect(junit.contains(#"<failure message="the users table should have been emptied by the GDPR purge (the query returned false)""#))
        #expect(run.standardError.contains("FAILED [checks.extra] Users table is empty"))
        #expect(try await DrillCLI.schemaProblems(junit: workspace.file("reports/junit.xml")) == nil)
        let measure = try #require((try DrillCLI.report(in: workspace.file("reports"))["suites"] as? [[String: Any]])?.first { $0["name"] as? String == "measure" })
        let rto = (measure["cases"] as? [[String: Any]])?.first
        #expect(rto?["status"] as? String == "skipped", "no RTO is claimed for a system that failed its checks")
        #expect(workspace.leftoversInTmp().isEmpty)
    }

    @Test func aSecretGivenByEnvironmentNeverAppearsInOutputOrReports() async throws {
        let workspace = try TestWorkspace("secret")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(into: workspace)
        // A check that echoes the secret back: its failure message would carry it if masking failed.
        try workspace.write(
            "leak/echo.yaml",
            """
            id: leak.echo
            name: Echoes the admin password
            params: [admin_password]
            query: SELECT $1::text
            expect: {value: something-else}
            """)
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks.append(workspace.file("leak/echo.yaml"))
        let drill = try workspace.write("drill.yaml", builder.yaml)

        let run = try await DrillCLI.run(["run", "--verbose", drill], workspace: workspace, environment: Self.passwordEnvironment)

        #expect(run.exitCode == 1)
        let secret = SampleBackupCache.adminPassword
        let everything = run.allOutput + DrillCLI.reportTexts(in: workspace.file("reports"))
        #expect(!everything.contains(secret))
        #expect(everything.contains("expected 'something-else', got '****'"))
        // The admin-login check used the same secret and passed: masking did not change what was bound.
        let checks = try #require(try DrillCLI.report(in: workspace.file("reports"))["checks"] as? [[String: Any]])
        #expect(checks.first { $0["id"] as? String == "app.admin-login" }?["status"] as? String == "passed")
    }
}
