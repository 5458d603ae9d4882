import DrillTestSupport
import Foundation
import Testing

@Suite("Built-in check kinds", .serialized)
struct BuiltInCheckTests {
    @Test func tablesAndFreshnessJudgeTheRestoredData() async throws {
        var sample = try await SampleDrill.prepare("builtin")
        defer { sample.remove() }
        try sample.workspace.write(
            "builtin/checks.yaml",
            """
            checks:
              - id: tables.present
                kind: tables
                tables: [app.users, 'app.catalog_*', {name: app.audit_log, min_rows: 50000}]
              - id: tables.too-few
                kind: tables
                tables: [{name: app.users, min_rows: 1000000}]
              - id: tables.missing
                kind: tables
                tables: [app.invoices]
              - id: fresh.audit
                kind: freshness
                table: app.audit_log
                column: occurred_at
                within: 1h
              - id: stale.signup
                kind: freshness
                table: app.users
                column: created_at
                within: 1s
            """)
        sample.drill.checks = [sample.workspace.file("builtin")]

        let run = try await sample.run()

        #expect(run.exitCode == 1)
        let checks = try sample.report()["checks"] as? [[String: Any]] ?? []
        func check(_ id: String) -> [String: Any]? { checks.first { $0["id"] as? String == id } }
        #expect(check("tables.present")?["status"] as? String == "passed", "\(checks)")
        #expect(check("tables.too-few")?["message"] as? String == "app.users holds 2001 row(s), expected at least 1000000")
        #expect(check("tables.missing")?["message"] as? String == "no table matches app.invoices")
        #expect(check("fresh.audit")?["status"] as? String == "passed")
        #expect(check("stale.signup")?["status"] as? String == "failed")
        let present = try sample.cases(ofSuite: "checks.builtin").first { $0["id"] as? String == "tables.present" }?["output"] as? String ?? ""
        #expect(present.contains("app.catalog_imports: readable") && present.contains("app.catalog_items: readable"))
        #expect(present.contains("app.audit_log: 50000 rows"))
    }
}
