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

    /// A btree page overwritten in a backup taken without a manifest (so pg_verifybackup cannot
    /// see it) reaches the restored copy; the integrity check must fail and name the index.
    @Test func integrityFindsACorruptedIndex() async throws {
        let fixture = try await PhysicalFixture.make(label: "amcheck", batches: 1, format: .plain, manifest: false) { session, archive in
            _ = try await session.execute("CREATE TABLE guarded AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g")
            _ = try await session.execute("CREATE INDEX guarded_v ON guarded (v)")
            _ = try await session.execute("CHECKPOINT")
            let path = try await session.query("SELECT pg_relation_filepath('guarded_v')").value() ?? ""
            try path.write(toFile: (archive as NSString).deletingLastPathComponent + "/index-path", atomically: true, encoding: .utf8)
        }
        defer { fixture.remove() }
        let relative = try String(contentsOfFile: (fixture.archive as NSString).deletingLastPathComponent + "/index-path", encoding: .utf8)
        let indexFile = fixture.catalog + "/base1/" + relative
        var data = try Data(contentsOf: URL(fileURLWithPath: indexFile))
        // Page 3: overwrite the middle of its tuple area.
        for offset in (3 * 8192 + 4000)..<(3 * 8192 + 4400) { data[offset] = 0x5A }
        try data.write(to: URL(fileURLWithPath: indexFile))
        var drill = try PhysicalDrill("amcheck", fixture: fixture)
        defer { drill.remove() }
        drill.extraChecks = [
            try drill.workspace.write("core/integrity.yaml", "id: core.integrity\nname: Heap and btree integrity\nkind: integrity\ntimeout: 5m\n")
        ]

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let integrity = try drill.cases(ofSuite: "checks.core").first
        #expect(integrity?["status"] as? String == "failed")
        let message = integrity?["message"] as? String ?? ""
        #expect(message.contains("pg_amcheck found corruption") && message.contains("guarded_v"), "\(message)")
        let verify = try drill.cases(ofSuite: "restore").first { $0["name"] as? String == "pg_verifybackup" }
        #expect(verify?["status"] as? String == "skipped", "no manifest: the corruption is for the checks to find")
    }

    @Test func integrityPassesOnAGoodRestore() async throws {
        var sample = try await SampleDrill.prepare("amcheck-good")
        defer { sample.remove() }
        sample.drill.checks = [try sample.workspace.write("core/integrity.yaml", "id: core.integrity\nkind: integrity\nheapallindexed: true\n")]
        let run = try await sample.run()
        #expect(run.exitCode == 0, "\(run.allOutput)")
    }
}
