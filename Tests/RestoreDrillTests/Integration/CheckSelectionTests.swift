import DrillTestSupport
import Foundation
import Testing

@Suite("Choosing and ordering checks", .serialized)
struct CheckSelectionTests {
    @Test func onlyRunsTheSelectionAndReportsTheRestAsSkipped() async throws {
        let sample = try await SampleDrill.prepare("only")
        defer { sample.remove() }
        let run = try await sample.run(options: ["--only", "critical"])
        #expect(run.exitCode == 0, "\(run.allOutput)")
        let checks = try sample.report()["checks"] as? [[String: Any]] ?? []
        let ran = checks.filter { $0["status"] as? String == "passed" }.compactMap { $0["id"] as? String }
        #expect(ran.sorted() == ["app.admin-login", "app.audit-log-present"])
        let skipped = checks.filter { $0["status"] as? String == "skipped" }
        #expect(skipped.count == 7)
        let notSelected = skipped.filter { $0["message"] as? String == "not selected (--only/--skip)" }
        #expect(notSelected.count == 6)
        // The critical http check is selected but needs the app service, which this drill does not start.
        let needsService = skipped.first { $0["id"] as? String == "app.http-admin-login" }?["message"] as? String ?? ""
        #expect(needsService.hasPrefix("needs the service 'app'"), "\(needsService)")
    }

    @Test func aSelectorThatMatchesNothingIsAUsageError() async throws {
        let sample = try await SampleDrill.prepare("skip-typo")
        defer { sample.remove() }
        let run = try await sample.run(options: ["--skip", "critcal"])
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("'critcal' matches no check id, tag or pack"))
    }

    @Test func afterOrdersChecksAndSkipsThoseWhoseDependencyDidNotPass() async throws {
        var sample = try await SampleDrill.prepare("after")
        defer { sample.remove() }
        try sample.workspace.write(
            "ordered/checks.yaml",
            """
            checks:
              - {id: uses-marker, query: SELECT count(*) = 1 FROM drill_marker, expect: true, after: [makes-marker]}
              - {id: broken, query: SELECT false, expect: true}
              - {id: after-broken, query: SELECT true, expect: true, after: [broken]}
              - id: makes-marker
                kind: command
                run: psql
                args: [-X, -q, -v, ON_ERROR_STOP=1, -c, "SELECT pg_sleep(0.5); CREATE TABLE drill_marker AS SELECT 1 AS x"]
            """)
        sample.drill.checks = [sample.workspace.file("ordered")]

        let run = try await sample.run()

        #expect(run.exitCode == 1)
        let checks = try sample.report()["checks"] as? [[String: Any]] ?? []
        func check(_ id: String) -> [String: Any]? { checks.first { $0["id"] as? String == id } }
        #expect(checks.compactMap { $0["id"] as? String } == ["uses-marker", "broken", "after-broken", "makes-marker"], "file order")
        #expect(check("uses-marker")?["status"] as? String == "passed", "it must wait for makes-marker")
        #expect(check("after-broken")?["status"] as? String == "skipped")
        #expect(check("after-broken")?["message"] as? String == "not run: it runs after broken, which did not pass")
    }

    @Test func aCycleOrAnUnknownDependencyIsRefused() async throws {
        var sample = try await SampleDrill.prepare("cycle")
        defer { sample.remove() }
        try sample.workspace.write(
            "cyclic/checks.yaml",
            "checks:\n  - {id: a, query: SELECT true, expect: true, after: [b]}\n  - {id: b, query: SELECT true, expect: true, after: [a]}\n")
        sample.drill.checks = [sample.workspace.file("cyclic")]
        let run = try await sample.run()
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("checks depend on each other in a cycle: a → b → a"), "\(run.standardError)")
    }

    @Test func checksListDocumentsEveryCheck() async throws {
        let workspace = try TestWorkspace("list")
        defer { workspace.remove() }
        let run = try await DrillCLI.run(["checks", "list", "app-example"], workspace: workspace)
        #expect(run.exitCode == 0, "\(run.allOutput)")
        #expect(run.standardOutput.contains("[app-example]"))
        #expect(run.standardOutput.contains("app.admin-login  (login, timeout 30.0s) tags: auth, critical"))
        #expect(run.standardOutput.contains("Audit log is fresh at the recovery point — The newest audit entry"))
    }
}
