import DrillTestSupport
import Foundation
import Testing

/// Whole drills through the built executable, as CI runs them.
@Suite("Drills end to end", .serialized)
struct DrillRunTests {
    @Test func aGoodBackupPassesWithValidReportsAndACleanMachine() async throws {
        let sample = try await SampleDrill.prepare("good")
        defer { sample.remove() }
        let before = try Data(contentsOf: URL(fileURLWithPath: sample.artifact))

        let run = try await sample.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try sample.report()
        #expect(report["status"] as? String == "passed")
        let checks = try #require(report["checks"] as? [[String: Any]])
        // app-example: 7 checks run; its 2 http checks need the app service this drill does not start.
        #expect(checks.count == 9)
        #expect(checks.filter { $0["status"] as? String == "passed" }.count == 7)
        #expect(checks.filter { $0["status"] as? String == "skipped" }.compactMap { $0["id"] as? String } == ["app.http-admin-login", "app.http-wrong-password-refused"])
        #expect(try sample.suiteNames() == [
            "plan", "verify", "provision", "restore", "completeness", "quarantine", "checks.app-example", "measure", "teardown",
        ])
        let measurements = try #require(report["measurements"] as? [String: Any])
        #expect((measurements["rto_seconds"] as? Double ?? 0) > 0)
        #expect((report["targets"] as? [String: Any])?["rto_seconds"] as? Double == 900)
        #expect(try await DrillCLI.schemaProblems(junit: sample.reports + "/junit.xml") == nil)
        #expect(sample.workspace.leftoversInTmp().isEmpty, "temp dirs left: \(sample.workspace.leftoversInTmp())")
        #expect(sample.workspace.leftoverServerProcesses().isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: sample.artifact)) == before, "the source backup must be untouched")
    }

    @Test func aFailingCheckExitsOneWithItsMessageInTheReport() async throws {
        var sample = try await SampleDrill.prepare("failcheck")
        defer { sample.remove() }
        let check = try sample.workspace.write(
            "extra/no-users.yaml",
            """
            id: extra.no-users
            name: Users table is empty
            query: SELECT count(*) = 0 FROM app.users
            expect: true
            message: the users table should have been emptied by the GDPR purge
            """)
        sample.drill.checks.append(check)

        let run = try await sample.run()

        #expect(run.exitCode == 1)
        let junit = try String(contentsOfFile: sample.reports + "/junit.xml", encoding: .utf8)
        #expect(junit.contains(#"<testsuite name="restore-drill.checks.extra" tests="1" failures="1" errors="0""#))
        #expect(junit.contains(#"<failure message="the users table should have been emptied by the GDPR purge (the query returned false)""#))
        #expect(run.standardError.contains("FAILED [checks.extra] Users table is empty"))
        #expect(try await DrillCLI.schemaProblems(junit: sample.reports + "/junit.xml") == nil)
        let rto = try sample.cases(ofSuite: "measure").first
        #expect(rto?["status"] as? String == "skipped", "no RTO is claimed for a system that failed its checks")
        #expect(sample.workspace.leftoversInTmp().isEmpty)
    }

    @Test func aSecretGivenByEnvironmentNeverAppearsInOutputOrReports() async throws {
        var sample = try await SampleDrill.prepare("secret")
        defer { sample.remove() }
        // A check that echoes the secret back: its failure message would carry it if masking failed.
        let check = try sample.workspace.write(
            "leak/echo.yaml",
            """
            id: leak.echo
            name: Echoes the admin password
            params: [admin_password]
            query: SELECT $1::text
            expect: {value: something-else}
            """)
        sample.drill.checks.append(check)

        let run = try await sample.run(options: ["--verbose"])

        #expect(run.exitCode == 1)
        let everything = run.allOutput + DrillCLI.reportTexts(in: sample.reports)
        #expect(!everything.contains(SampleBackupCache.adminPassword))
        #expect(everything.contains("expected 'something-else', got '****'"))
        // The admin-login check used the same secret and passed: masking did not change what was bound.
        let checks = try #require(try sample.report()["checks"] as? [[String: Any]])
        #expect(checks.first { $0["id"] as? String == "app.admin-login" }?["status"] as? String == "passed")
    }
}
