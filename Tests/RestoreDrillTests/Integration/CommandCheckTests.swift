import DrillTestSupport
import Foundation
import Testing

@Suite("Command checks", .serialized)
struct CommandCheckTests {
    @Test func scriptsRunWithTheRestoredServerAndTheirOutcomesAreReported() async throws {
        var sample = try await SampleDrill.prepare("command")
        defer { sample.remove() }
        let pack = sample.workspace.file("ops")
        let marker = "rdtest-orphan-\(UUID().uuidString.prefix(8))"
        let scripts: [(String, String)] = [
            ("tap.sh", "#!/bin/sh\necho 'TAP version 13'\necho '1..5'\necho 'ok 1 - users restored'\necho 'ok 2 - audit log restored'\necho 'not ok 3 - catalog has discontinued items'\necho '  ---'\necho '  found: 0'\necho '  ...'\necho 'ok 4 - import # SKIP no CSV'\necho 'ok 5 - admin exists'\nexit 1\n"),
            ("psql.sh", "#!/bin/sh\nset -e\nn=$(psql -X -Atc 'SELECT count(*) FROM app.users')\necho \"users: $n on $PGDATABASE for $DRILL_NAME\"\ntest \"$n\" -gt 2000\ntest -n \"$DRILL_REPORT_DIR\"\n"),
            ("skip.sh", "#!/bin/sh\necho 'no pgbouncer in this drill'\nexit 77\n"),
            ("broken.sh", "#!/bin/sh\necho 'cannot parse config' >&2\nexit 3\n"),
            ("hang.sh", "#!/bin/sh\nsh -c 'sleep 300; : \(marker)' &\nsleep 301\n"),
            ("leak.sh", "#!/bin/sh\necho \"connecting with $PGPASSWORD\"\n"),
        ]
        for (name, body) in scripts {
            let path = try sample.workspace.write("ops/\(name)", body)
            chmod(path, 0o755)
        }
        try sample.workspace.write(
            "ops/checks.yaml",
            """
            checks:
              - {id: ops.tap, name: Ops suite, kind: command, run: ./tap.sh}
              - {id: ops.psql, name: psql sees the restored data, kind: command, run: ./psql.sh}
              - {id: ops.skip, name: pgbouncer, kind: command, run: ./skip.sh}
              - {id: ops.broken, name: Broken script, kind: command, run: ./broken.sh}
              - {id: ops.hang, name: Hangs, kind: command, run: ./hang.sh, timeout: 1s}
              - {id: ops.leak, name: Prints the password, kind: command, run: ./leak.sh}
            """)
        sample.drill.checks = [pack]

        let run = try await sample.run()

        #expect(run.exitCode == 1, "a failed TAP test outranks the errors: \(run.allOutput)")
        let cases = try sample.cases(ofSuite: "checks.ops")
        func status(_ id: String) -> String? { cases.first { $0["id"] as? String == id }?["status"] as? String }
        #expect(["ops.tap#1", "ops.tap#2", "ops.tap#3", "ops.tap#4", "ops.tap#5"].map(status) == ["passed", "passed", "failed", "skipped", "passed"])
        #expect(cases.first { $0["id"] as? String == "ops.tap#3" }?["detail"] as? String == "found: 0\n")
        #expect(status("ops.psql") == "passed", "\(cases)")
        #expect(status("ops.skip") == "skipped")
        #expect(status("ops.broken") == "error")
        #expect(status("ops.hang") == "error")
        let hang = cases.first { $0["id"] as? String == "ops.hang" }?["message"] as? String ?? ""
        #expect(hang.contains("process group was killed"), "\(hang)")
        let leak = cases.first { $0["id"] as? String == "ops.leak" }?["output"] as? String ?? ""
        #expect(leak == "connecting with ****\n", "\(leak)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(LiveProcesses.all().filter { $0.commandLine.contains(marker) }.isEmpty, "the hanging check's child survived")
        let junit = try String(contentsOfFile: sample.reports + "/junit.xml", encoding: .utf8)
        #expect(junit.contains("<system-err>cannot parse config\n</system-err>"))
        #expect(try await DrillCLI.schemaProblems(junit: sample.reports + "/junit.xml") == nil)
    }

    /// pgTAP test files run unchanged through pg_prove; each pgTAP assertion becomes a test case.
    @Test func pgTAPFilesRunThroughPgProve() async throws {
        var sample = try await SampleDrill.prepare("pgtap")
        defer { sample.remove() }
        try sample.workspace.write(
            "pgtap/tests/schema.sql",
            """
            BEGIN;
            CREATE EXTENSION IF NOT EXISTS pgtap;
            SELECT plan(3);
            SELECT has_table('app', 'users', 'users table restored');
            SELECT has_table('app', 'audit_log', 'audit log restored');
            SELECT has_table('app', 'invoices', 'invoices restored');
            SELECT * FROM finish();
            ROLLBACK;
            """)
        try sample.workspace.write(
            "pgtap/pgtap.yaml",
            "id: pgtap.schema\nname: pgTAP schema tests\nkind: command\nrun: pg_prove\nargs: [--verbose, tests/schema.sql]\ntimeout: 60s\n")
        sample.drill.checks = [sample.workspace.file("pgtap")]

        let run = try await sample.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let cases = try sample.cases(ofSuite: "checks.pgtap")
        #expect(cases.map { $0["status"] as? String } == ["passed", "passed", "failed"], "\(cases)")
        #expect(cases.last?["name"] as? String == "pgTAP schema tests: invoices restored")
    }
}

extension CommandCheckTests {
    /// psql exits 0 whatever the assertions say, and 3,000 of them print far more than the 64 KiB
    /// kept for the report: the stream is read whole, so the early failure counts and keeps its
    /// pgTAP diagnostics.
    @Test func aLongPgTAPRunThroughPsqlFailsOnAnEarlyNotOk() async throws {
        var sample = try await SampleDrill.prepare("pgtap-psql")
        defer { sample.remove() }
        try sample.workspace.write(
            "pgtap/many.sql",
            """
            BEGIN;
            CREATE EXTENSION IF NOT EXISTS pgtap;
            SELECT plan(3000);
            SELECT is((SELECT count(*)::int FROM app.users), -1, 'users were counted before the others');
            SELECT ok(true, 'assertion number ' || g || ' about the restored copy, with a long description') FROM generate_series(2, 3000) g;
            SELECT * FROM finish();
            ROLLBACK;
            """)
        try sample.workspace.write(
            "pgtap/pgtap.yaml",
            "id: pgtap.many\nname: Many assertions\nkind: command\nrun: psql\nargs: [-XAtq, -v, ON_ERROR_STOP=1, -f, many.sql]\ntimeout: 120s\n")
        sample.drill.checks = [sample.workspace.file("pgtap")]

        let run = try await sample.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let cases = try sample.cases(ofSuite: "checks.pgtap")
        #expect(cases.count == 3000, "every assertion is a case: \(cases.count)")
        let failed = cases.filter { $0["status"] as? String == "failed" }
        #expect(failed.count == 1)
        #expect(failed.first?["name"] as? String == "Many assertions: users were counted before the others")
        let detail = failed.first?["detail"] as? String ?? ""
        #expect(detail.contains("have: 2001") && detail.contains("want: -1"), "\(detail)")
        #expect(cases[1]["detail"] == nil, "the next test does not get the failure's diagnostics")
    }
}
