import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning

/// Backups that try to reach production or the drill host, and ends of the drill that no
/// teardown sees (SIGKILL, a closed terminal), per provisioner. Next to each hostile dump runs a
/// "production" PostgreSQL on 127.0.0.2 with log_connections: it must see nothing.
enum ContainmentFaults {
    typealias Fault = FaultCorpusTests.Fault
    typealias Expected = FaultCorpusTests.Expected

    static let all: [Fault] = attacks + lifetimes

    static let attacks: [Fault] = [
        attack(
            "a plain dump runs a shell for psql (\\!)", sql: "\\! touch MARKER\n",
            expected: Expected(exit: 1, suite: "restore", caseName: "psql", status: "failed", phrase: "backslash command")),
        attack(
            "a plain dump \\connects to production", sql: "\\connect host=PRODHOST port=PRODPORT dbname=postgres user=postgres\nINSERT INTO sentinel VALUES (9);\n",
            expected: Expected(exit: 1, suite: "restore", caseName: "psql", status: "failed", phrase: "a drill follows \\connect only to databases of its own server")),
        attack(
            "COPY ... TO PROGRAM writes a file on the drill host", sql: "COPY (SELECT 1) TO PROGRAM 'touch MARKER';\n",
            expected: Expected(exit: 1, suite: "restore", caseName: "psql", status: "failed", phrase: "cannot be restored")),
        attack(
            "COPY ... TO PROGRAM connects to production",
            sql: "COPY (SELECT 1) TO PROGRAM 'psql \"PRODDSN\" -c \"INSERT INTO sentinel VALUES (9)\"';\n",
            expected: Expected(exit: 1, suite: "restore", caseName: "psql", status: "failed", phrase: "cannot be restored")),
        attack(
            "dblink writes into production", sql: "CREATE EXTENSION dblink;\nSELECT dblink_exec('PRODDSN', 'INSERT INTO sentinel VALUES (9)');\n",
            expected: Expected(exit: 1, suite: "restore", caseName: "psql", status: "failed", phrase: "has no network, by design")),
        attack(
            "a subscription connects to production at once", sql: "CREATE SUBSCRIPTION grab CONNECTION 'PRODDSN' PUBLICATION everything;\n",
            expected: Expected(exit: 1, suite: "restore", caseName: "psql", status: "failed", phrase: "could not connect to the publisher")),
        attack(
            "a postgres_fdw foreign table is written to",
            sql: """
                CREATE EXTENSION postgres_fdw;
                CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'PRODHOST', port 'PRODPORT', dbname 'postgres');
                CREATE USER MAPPING FOR CURRENT_USER SERVER prod OPTIONS (user 'postgres');
                CREATE FOREIGN TABLE remote_sentinel (id int) SERVER prod OPTIONS (table_name 'sentinel');
                INSERT INTO remote_sentinel VALUES (9);

                """,
            expected: Expected(exit: 1, suite: "restore", caseName: "psql", status: "failed", phrase: "could not connect to server")),
    ]

    static let lifetimes: [Fault] = [
        Fault(
            description: "SIGINT during an external drill's checks", feature: "teardown",
            expected: Expected(exit: 130, suite: "checks.checks", caseName: "Hangs", status: "error", phrase: "the check was interrupted"),
            prepare: { try await externalScene("external-sigint", signal: SIGINT) }),
        Fault(
            description: "SIGKILL of restore-drill during an external drill's checks", feature: "teardown",
            expected: Expected(exit: 137, suite: "after SIGKILL", caseName: "restore-drill cleanup", status: "removed", phrase: "removed  folder"),
            prepare: { try await externalScene("external-kill", signal: SIGKILL) }),
        interrupted("SIGKILL of restore-drill mid-restore (pg_ctl)", signal: SIGKILL) { try await LogicalFaults.slowRestore("kill-drill") },
        interrupted("SIGHUP mid-restore (the terminal or SSH session closed)", signal: SIGHUP) { try await LogicalFaults.slowRestore("sighup") },
        interrupted("SIGINT mid-restore (container)", signal: SIGINT) { try await containerSlowRestore("container-sigint") },
        interrupted("SIGKILL of restore-drill mid-restore (container)", signal: SIGKILL) { try await containerSlowRestore("container-kill") },
    ]

    /// `signal` sent to the drill once its restore runs: teardown and exit 130, or for SIGKILL
    /// (no teardown, no report) nothing left running and `cleanup` removing the folder.
    static func interrupted(_ description: String, signal: Int32, scene: @escaping @Sendable () async throws -> FaultScene) -> Fault {
        let expected =
            signal == SIGKILL
            ? Expected(exit: 137, suite: "after SIGKILL", caseName: "restore-drill cleanup", status: "removed", phrase: "removed  folder")
            : Expected(exit: 130, suite: "restore", caseName: "restore interrupted", status: "error", phrase: "interrupted")
        return Fault(
            description: description, feature: "teardown", expected: expected,
            prepare: {
                var prepared = try await scene()
                prepared.interrupt = ("restore: started", signal)
                return prepared
            })
    }

    /// A plain SQL dump whose body tries a way out, drilled next to production.
    static func attack(_ description: String, sql: String, expected: Expected) -> Fault {
        Fault(
            description: description, feature: "containment", expected: expected,
            prepare: {
                let workspace = try TestWorkspace("attack")
                let production = try await ProductionServer(in: workspace)
                // A folder the server's account could write to: only the read-only mount stops a write there.
                let open = workspace.file("open")
                try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
                chmod(open, 0o1777)
                let marker = open + "/escaped"
                let body = sql.replacingOccurrences(of: "PRODDSN", with: production.dsn)
                    .replacingOccurrences(of: "PRODHOST", with: ProductionServer.address).replacingOccurrences(of: "PRODPORT", with: String(production.port))
                    .replacingOccurrences(of: "MARKER", with: marker)
                let artifact = try workspace.write("attack.sql", "--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (i int);\n" + body)
                var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
                builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]
                builder.checks = []
                builder.variables = ["fault_secret: env:RD_FAULT_SECRET"]
                var scene = FaultScene(workspace: workspace)
                scene.drillPath = try workspace.write("drill.yaml", builder.yaml)
                scene.sources = [artifact]
                scene.afterRun = {
                    var problems: [String] = []
                    if production.connectionsSeen > 0 { problems.append("production saw: \(production.connectionLog)") }
                    let state = (try? await production.state()) ?? "unreadable"
                    if state != ProductionServer.untouched { problems.append("production changed: \(state)") }
                    if FileManager.default.fileExists(atPath: marker) { problems.append("the dump wrote \(marker) on the drill host") }
                    return problems
                }
                scene.asyncCleanup = { await production.stop() }
                return scene
            })
    }

    /// A slow plain restore in a podman container; afterwards no drill container may be left.
    static func containerSlowRestore(_ label: String) async throws -> FaultScene {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        var scene = try await LogicalFaults.slowRestore(label)
        let yaml = try String(contentsOfFile: scene.drillPath, encoding: .utf8)
            .replacingOccurrences(of: "provisioner: pg_ctl", with: "provisioner: docker\n  runtime: podman\n  runtime_args: [--runtime, runc]\n  image: \(image)")
        scene.drillPath = try scene.workspace.write("drill.yaml", yaml)
        scene.cleanupArguments = ["--runtime", "podman", "--runtime-arg=--runtime", "--runtime-arg=runc"]
        scene.afterRun = {
            var left = (try? await ContainerImage.drillContainers()) ?? []
            for _ in 0..<100 where !left.isEmpty {
                try? await Task.sleep(for: .milliseconds(100))
                left = (try? await ContainerImage.drillContainers()) ?? []
            }
            return left.isEmpty ? [] : ["drill containers left: \(left)"]
        }
        return scene
    }
}

extension ContainmentFaults {
    /// A drill of an external server (the managed instance a provider restored; here a server the
    /// test starts, reached on 127.0.0.1) whose check hangs, and a signal while it runs. Afterwards
    /// the instance still runs, holds its rows, and has no session of the drill left.
    static func externalScene(_ label: String, signal: Int32) async throws -> FaultScene {
        let workspace = try TestWorkspace(label)
        let instance = try await PgCtlProvisioner().provision(
            ProvisionRequest(majorVersion: try await TestServer.newestMajor(), listenOnLoopback: true, temporaryRoot: workspace.path))
        let admin = try await PostgresConnection.connect(instance.connection)
        _ = try await admin.execute("CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 300)")
        let dsn = "postgresql://\(instance.connection.user):\(instance.connection.password ?? "")@127.0.0.1:\(instance.connection.port)/postgres"
        try workspace.write(
            "checks/faults.yaml", "id: faults.hang\nname: Hangs\ntimeout: 10m\nquery: SELECT pg_sleep(600) IS NOT NULL\nexpect: true\n")
        let drill = """
            name: managed-instance
            targets: {rpo: 24h, rto: 15m}
            postgres:
              provisioner: external
              dsn: env:RD_EXTERNAL_DSN
              allow_hosts: [127.0.0.1]
            variables: {fault_secret: env:RD_FAULT_SECRET}
            checks: [./checks]
            reports: {dir: \(workspace.file("reports"))}
            """
        var scene = FaultScene(workspace: workspace)
        scene.drillPath = try workspace.write("drill.yaml", drill)
        scene.extraEnvironment = ["RD_EXTERNAL_DSN": dsn]
        scene.interrupt = ("checks: started", signal)
        scene.afterRun = {
            var problems: [String] = []
            var sessions: Int64 = -1
            for _ in 0..<50 {
                sessions = (try? await admin.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'restore-drill' AND pid <> pg_backend_pid()").int()) ?? -1
                if sessions == 0 { break }
                try? await Task.sleep(for: .milliseconds(100))
            }
            if sessions != 0 { problems.append("the drill left \(sessions) session(s) on the external server") }
            let rows = (try? await admin.query("SELECT count(*) FROM orders").int()) ?? -1
            if rows != 300 { problems.append("the external server's orders changed: \(rows) rows") }
            return problems
        }
        scene.asyncCleanup = {
            admin.close()
            _ = await instance.tearDown()
        }
        return scene
    }
}
