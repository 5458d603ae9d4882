import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Testing

/// `provisioner: external`: a running PostgreSQL started by the test plays the managed instance
/// the provider restored. The drill checks and measures it, restores nothing into it, and never
/// connects to a host the drill file does not allow.
@Suite("External provisioner", .serialized)
struct ExternalProvisionerTests {
    static func drill(allowHosts: String, extra: String = "", checks: String) -> String {
        """
        name: managed-instance
        targets: {rpo: 24h, rto: 15m}
        postgres:
          provisioner: external
          dsn: env:TEST_MANAGED_DSN
          allow_hosts: [\(allowHosts)]
        \(extra)
        checks: [\(checks)]
        reports: {dir: reports}
        """
    }

    @Test func checksRunAgainstTheManagedInstanceAndNothingIsRestoredOrStopped() async throws {
        let workspace = try TestWorkspace("external")
        defer { workspace.remove() }
        try await TestServer.with(listenOnLoopback: true) { server in
            let admin = try await PostgresConnection.connect(server.connection)
            _ = try await admin.execute("CREATE DATABASE shop")
            admin.close()
            let shop = try await PostgresConnection.connect(server.connection.with(database: "shop"))
            defer { shop.close() }
            _ = try await shop.execute("CREATE TABLE orders (id int PRIMARY KEY, total int NOT NULL CHECK (total > 0)); INSERT INTO orders SELECT g, g FROM generate_series(1, 300) g")
            try workspace.write("orders.csv", "id,total\n1001,5\n1002,7\n")
            try workspace.write(
                "checks/shop.yaml",
                """
                checks:
                  - {id: shop.orders, kind: tables, tables: [{name: public.orders, min_rows: 300}]}
                  - {id: shop.total, query: "SELECT sum(total)::text FROM orders", expect: {value: '45150'}}
                  - {id: shop.import, kind: import, table: public.orders, csv: ../orders.csv, expect: {rows: 2}}
                """)
            let dsn = "postgresql://\(server.connection.user):\(server.connection.password ?? "")@127.0.0.1:\(server.connection.port)/shop"
            let path = try workspace.write("drill.yaml", Self.drill(allowHosts: "127.0.0.1", checks: "./checks"))

            let run = try await DrillCLI.run(["run", path], workspace: workspace, environment: ["TEST_MANAGED_DSN": dsn])

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let suites = (try DrillCLI.report(in: workspace.file("reports"))["suites"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(suites == ["plan", "connect", "quarantine", "checks.checks", "measure", "teardown"], "\(suites)")
            #expect(!suites.contains("restore") && !suites.contains("verify"))
            #expect(!run.allOutput.contains(server.connection.password ?? "never"), "the DSN's password is masked")
            // The managed instance is untouched and still running: the import was rolled back.
            #expect(try await shop.query("SELECT count(*) FROM orders").int() == 300)

            // A host the drill file does not allow is refused before anything connects.
            let refusedPath = try workspace.write("refused.yaml", Self.drill(allowHosts: "restored-db.internal", checks: "./checks"))
            let refused = try await DrillCLI.run(["run", refusedPath], workspace: workspace, environment: ["TEST_MANAGED_DSN": dsn])
            #expect(refused.exitCode == 2, "\(refused.allOutput)")
            #expect(refused.standardError.contains("the DSN's host '127.0.0.1' is not in postgres.allow_hosts (restored-db.internal)"))

            // And nothing is ever restored into it.
            let restorePath = try workspace.write(
                "restore.yaml", Self.drill(allowHosts: "127.0.0.1", extra: "backup: {location: file:///tmp/app.dump}", checks: "./checks"))
            let restore = try await DrillCLI.run(["run", restorePath], workspace: workspace, environment: ["TEST_MANAGED_DSN": dsn])
            #expect(restore.exitCode == 2)
            #expect(restore.standardError.contains("an external server is restored by its provider: the drill never restores into it"))
        }
    }

    @Test func aDSNWrittenInTheFileIsRefused() async throws {
        let workspace = try TestWorkspace("external-dsn")
        defer { workspace.remove() }
        let text = Self.drill(allowHosts: "127.0.0.1", checks: "./checks").replacingOccurrences(
            of: "dsn: env:TEST_MANAGED_DSN", with: "dsn: postgresql://u:p@127.0.0.1/db")
        let run = try await DrillCLI.run(["plan", try workspace.write("drill.yaml", text)], workspace: workspace)
        #expect(run.exitCode == 2)
        #expect(run.standardError.contains("give the DSN by reference"))
    }
}
