import DrillTestSupport
import Foundation
import Testing

@Suite("login and import checks", .serialized)
struct LoginAndImportTests {
    @Test func appUserHashesVerifyOrFailWithTheirReason() async throws {
        var sample = try await SampleDrill.prepare("login")
        defer { sample.remove() }
        try sample.workspace.write(
            "login/checks.yaml",
            """
            checks:
              - id: login.admin
                kind: login
                app_user: {table: app.users, match: {email: "${admin_email}"}, where: is_admin, hash_column: password_hash, password: "${admin_password}"}
              - id: login.wrong-password
                kind: login
                app_user: {table: app.users, match: {email: "${admin_email}"}, hash_column: password_hash, password: "${wrong_password}"}
              - id: login.no-such-user
                kind: login
                app_user: {table: app.users, match: {email: nobody@example.com}, hash_column: password_hash, password: "${admin_password}"}
              - id: login.role-not-in-dump
                kind: login
                role: {name: app_owner, password: "${admin_password}"}
            """)
        sample.drill.checks = [sample.workspace.file("login")]
        sample.drill.variables.append("wrong_password: env:TEST_WRONG_PASSWORD")

        let run = try await sample.run(environment: SampleDrill.passwordEnvironment.merging(["TEST_WRONG_PASSWORD": "hunter2-not-it"]) { $1 })

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let checks = try sample.report()["checks"] as? [[String: Any]] ?? []
        func message(_ id: String) -> String { checks.first { $0["id"] as? String == id }?["message"] as? String ?? "" }
        #expect(checks.first { $0["id"] as? String == "login.admin" }?["status"] as? String == "passed", "\(checks)")
        #expect(message("login.wrong-password") == "the password does not verify against app.users.password_hash of the row with email = 'admin@example.com'")
        #expect(message("login.no-such-user") == "no row of app.users has email = 'nobody@example.com'")
        // A pg_dump carries no roles: the role exists only as the NOLOGIN stand-in the restore made, or not at all.
        let role = message("login.role-not-in-dump")
        #expect(role.hasPrefix("role 'app_owner' does not exist") || role == "role 'app_owner' cannot log in (NOLOGIN)", "\(role)")
        #expect(!run.allOutput.contains("hunter2-not-it"))
    }

    /// Roles travel with a physical backup: the role logs in with its password over a real
    /// connection, a wrong password is refused, and the drill's own trust rule does not let it in.
    @Test func aRoleOfAPhysicalBackupLogsInWithItsPassword() async throws {
        let fixture = try await PhysicalFixture.make(label: "role-login", batches: 1, format: .plain) { session, _ in
            _ = try await session.execute("SET password_encryption = 'scram-sha-256'")
            _ = try await session.execute("CREATE ROLE reporting LOGIN PASSWORD 'reporting-secret-42'")
            _ = try await session.execute("CREATE ROLE dormant NOLOGIN PASSWORD 'whatever-1234'")
        }
        defer { fixture.remove() }
        var drill = try PhysicalDrill("role-login", fixture: fixture)
        defer { drill.remove() }
        let good = try drill.workspace.write("secrets/good", "reporting-secret-42")
        let bad = try drill.workspace.write("secrets/bad", "not-the-secret-99")
        drill.variables = ["reporting_password: file:\(good)", "wrong_password: file:\(bad)"]
        drill.extraChecks = [
            try drill.workspace.write(
                "roles/login.yaml",
                """
                checks:
                  - id: role.reporting
                    kind: login
                    role: {name: reporting, password: "${reporting_password}"}
                  - id: role.reporting-wrong
                    kind: login
                    role: {name: reporting, password: "${wrong_password}"}
                  - id: role.dormant
                    kind: login
                    role: {name: dormant, password: "${wrong_password}"}
                """)
        ]

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let cases = try drill.cases(ofSuite: "checks.roles")
        func item(_ id: String) -> [String: Any]? { cases.first { $0["id"] as? String == id } }
        #expect(item("role.reporting")?["status"] as? String == "passed", "\(cases)")
        let output = item("role.reporting")?["output"] as? String ?? ""
        #expect(output.contains("stored verifier SCRAM-SHA-256") && output.contains("a wrong password is refused"), "\(output)")
        let wrong = item("role.reporting-wrong")?["message"] as? String ?? ""
        #expect(wrong.contains("role 'reporting' cannot log in") && wrong.contains("password authentication failed"), "\(wrong)")
        #expect(item("role.dormant")?["message"] as? String == "role 'dormant' cannot log in (NOLOGIN)")
    }

    @Test func importsRunInsideATransactionThatIsRolledBack() async throws {
        var sample = try await SampleDrill.prepare("import")
        defer { sample.remove() }
        try sample.workspace.write("import/bad.csv", "sku,name,category,price_cents,stock\nBAD-1,Broken,tools,-5,1\n")
        try sample.workspace.write(
            "import/generate.sh", "#!/bin/sh\necho sku,name,category,price_cents,stock\nfor n in 1 2 3; do echo GEN-$n,Generated $n,tools,100,1; done\n")
        chmod(sample.workspace.file("import/generate.sh"), 0o755)
        try sample.workspace.write(
            "import/checks.yaml",
            """
            checks:
              - id: import.next-catalog
                kind: import
                table: app.catalog_items
                columns: [sku, name, category, price_cents, stock]
                csv: \(RepositoryPaths.checks)/app-example/catalog-next.csv
                expect: {rows: 200, query: "SELECT count(*) = 5200 FROM app.catalog_items"}
              - id: import.generated
                kind: import
                table: app.catalog_items
                columns: [sku, name, category, price_cents, stock]
                csv_from: {run: ./generate.sh}
                expect: {rows: {min: 3}}
              - id: import.refused
                kind: import
                table: app.catalog_items
                columns: [sku, name, category, price_cents, stock]
                csv: bad.csv
              - id: catalog.unchanged
                query: SELECT count(*) FROM app.catalog_items
                expect: {value: '5000'}
                after: [import.next-catalog, import.generated]
            """)
        sample.drill.checks = [sample.workspace.file("import")]

        let run = try await sample.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let checks = try sample.report()["checks"] as? [[String: Any]] ?? []
        func check(_ id: String) -> [String: Any]? { checks.first { $0["id"] as? String == id } }
        #expect(check("import.next-catalog")?["status"] as? String == "passed", "\(checks)")
        #expect(check("import.generated")?["status"] as? String == "passed", "\(checks)")
        #expect(check("catalog.unchanged")?["status"] as? String == "passed", "the imports must leave the catalog as it was")
        let refused = check("import.refused")?["message"] as? String ?? ""
        #expect(refused.contains("the restored schema refuses the import") && refused.contains("catalog_items_price_cents_check"), "\(refused)")
        let output = try sample.cases(ofSuite: "checks.import").first { $0["id"] as? String == "import.next-catalog" }?["output"] as? String ?? ""
        #expect(output.contains("COPY loaded 200 row(s)") && output.contains("rolled back: app.catalog_items holds 5000 row(s), as before"), "\(output)")
    }
}
