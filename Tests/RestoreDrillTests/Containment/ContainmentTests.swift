import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Synchronization
import Testing

/// Containment that passing drills must show (the hostile dumps and the ends of a drill that no
/// teardown sees are rows of the fault corpus, `ContainmentFaults`): inherited libpq settings,
/// foreign tables under the tables scan, SIGKILL and `cleanup`, a check's children, `\connect`
/// within the throwaway server. Production is a PostgreSQL on 127.0.0.2 that logs connections.
@Suite("Containment against a production server", .serialized)
struct ContainmentTests {
    /// pg_dump -C and pg_dumpall `\connect` between databases: the drill follows that within its
    /// own server, with pg_dump's own `\restrict` pairs and `\encoding` around it.
    @Test func aConnectToAnotherDatabaseOfTheThrowawayServerIsFollowed() async throws {
        let workspace = try TestWorkspace("connect")
        defer { workspace.remove() }
        let artifact = try workspace.write(
            "cluster.sql",
            """
            --
            -- PostgreSQL database dump
            --
            \\restrict aaaa
            -- Name: in_first; Type: TABLE; Schema: public; Owner: postgres
            CREATE TABLE in_first (i int);
            \\unrestrict aaaa
            CREATE DATABASE "second db";
            \\encoding SQL_ASCII
            \\connect -reuse-previous=on "dbname='second db'"
            \\restrict bbbb
            -- Name: in_second; Type: TABLE; Schema: public; Owner: postgres
            CREATE TABLE in_second (i int);
            -- Data for Name: in_second; Type: TABLE DATA; Schema: public; Owner: postgres
            COPY public.in_second (i) FROM stdin;
            1
            2
            \\.
            --
            -- PostgreSQL database dump complete
            --
            \\unrestrict bbbb

            """)
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.variables = ["note: containment"]
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]
        builder.checks = [
            try workspace.write(
                "checks/second.yaml", "id: second.rows\nkind: tables\ndatabase: second db\ntables: [{name: public.in_second, min_rows: 2}]\n")
        ]

        let run = try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let restore = DrillCLI.reportTexts(in: workspace.file("reports"))
        #expect(restore.contains("in 2 sessions"), "\(restore)")
    }

    /// CI runners and ops hosts carry libpq settings; none of them may steer the drill.
    @Test func inheritedLibpqSettingsNeverReachProduction() async throws {
        var sample = try await SampleDrill.prepare("libpq-env")
        defer { sample.remove() }
        try await ProductionServer.with(in: sample.workspace) { production in
            let serviceFile = try sample.workspace.write(
                "pg_service.conf", "[prod]\nhost=\(ProductionServer.address)\nport=\(production.port)\nuser=postgres\ndbname=postgres\n")
            let script = try sample.workspace.write(
                "env-check.sh", "#!/bin/sh\nenv | sort\npsql -X -A -t -c 'SELECT inet_server_addr() IS NULL'\n")
            chmod(script, 0o755)
            sample.drill.checks.append(
                try sample.workspace.write("env/env.yaml", "id: env.inherited\nname: What a check inherits\nkind: command\nrun: \(script)\n"))
            let hostile = [
                "PGSERVICEFILE": serviceFile, "PGSERVICE": "prod", "PGHOSTADDR": ProductionServer.address, "PGHOST": ProductionServer.address,
                "PGPORT": String(production.port), "PGUSER": "postgres", "PGDATABASE": "postgres", "PGOPTIONS": "-c default_transaction_read_only=on",
                "PGSSLMODE": "disable", "PGTARGETSESSIONATTRS": "any", "PGPASSFILE": "/etc/passwd", "RD_PRODUCTION_TOKEN": "prod-token-4711",
            ]

            let run = try await sample.run(environment: SampleDrill.passwordEnvironment.merging(hostile) { $1 })

            #expect(run.exitCode == 0, "\(run.allOutput)")
            #expect(production.connectionsSeen == 0, "production saw: \(production.connectionLog)")
            let check = try sample.cases(ofSuite: "checks.env").first
            let output = (check?["output"] as? String ?? "") + (check?["system_out"] as? String ?? "")
            let reports = DrillCLI.reportTexts(in: sample.reports)
            #expect(reports.contains("PGHOST=\(sample.workspace.tmp)"), "the check's PGHOST is the drill's socket: \(output)")
            for name in ["PGSERVICE", "PGHOSTADDR", "PGOPTIONS", "PGSSLMODE", "PGTARGETSESSIONATTRS", "RD_PRODUCTION_TOKEN", "TEST_ADMIN_PASSWORD"] {
                #expect(!reports.contains(name + "="), "a check inherited \(name)")
            }
            #expect(!reports.contains("prod-token-4711"))
            let quarantine = try sample.cases(ofSuite: "quarantine")
            let ignored = quarantine.first { ($0["name"] as? String ?? "").contains("no inherited libpq settings") }?["output"] as? String ?? ""
            #expect(ignored.contains("PGSERVICE") && ignored.contains("PGHOSTADDR"), "\(ignored)")
        }
    }

    /// A physical-style copy's foreign tables and dblink views name production; the shipped
    /// tables scan must not read them (and could not: the server has no network).
    @Test func foreignTablesAndDblinkViewsAreReportedUnreachableNotRead() async throws {
        let workspace = try TestWorkspace("foreign")
        defer { workspace.remove() }
        try await ProductionServer.with(in: workspace) { production in
            let artifact = workspace.file("foreign.dump")
            try await TestServer.with { server in
                let admin = try await PostgresConnection.connect(server.connection)
                _ = try await admin.execute("CREATE DATABASE shop")
                admin.close()
                let shop = try await PostgresConnection.connect(server.connection.with(database: "shop"))
                _ = try await shop.execute(
                    """
                    CREATE EXTENSION dblink; CREATE EXTENSION postgres_fdw;
                    CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10);
                    CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '\(ProductionServer.address)', port '\(production.port)', dbname 'postgres');
                    CREATE USER MAPPING FOR PUBLIC SERVER prod OPTIONS (user 'postgres');
                    CREATE FOREIGN TABLE remote_sentinel (id int) SERVER prod OPTIONS (table_name 'sentinel');
                    CREATE VIEW via_dblink AS SELECT * FROM dblink('\(production.dsn)', 'SELECT id FROM sentinel') AS t(id int);
                    CREATE VIEW via_foreign AS SELECT * FROM remote_sentinel;
                    """)
                shop.close()
                let dump = try await ProcessRunner.run(
                    ToolInvocation(
                        executable: server.binaries.path("pg_dump"), arguments: ["--format=custom", "--file=\(artifact)", "shop"],
                        environment: server.connection.with(database: "shop").libpqEnvironment))
                #expect(dump.succeeded, "\(dump.standardError)")
            }
            #expect(production.connectionsSeen == 0, "making the fixture must not connect either")
            var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
            builder.checks = [RepositoryPaths.checks + "/postgres-core/tables.yaml"]
            builder.variables = ["note: containment"]
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]

            let run = try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let texts = DrillCLI.reportTexts(in: workspace.file("reports"))
            for name in ["public.remote_sentinel", "public.via_dblink", "public.via_foreign"] {
                #expect(texts.contains("\(name): not read: a foreign table or dblink view reaches another server"), "\(name)")
            }
            #expect(texts.contains("public.orders: all 10 rows read"))
            #expect(production.connectionsSeen == 0, "production saw: \(production.connectionLog)")
            #expect(try await production.state() == ProductionServer.untouched)
        }
    }

    /// What a CI job timeout does: SIGKILL of restore-drill mid-restore. The sandbox takes the
    /// server and psql with it within seconds; `cleanup` removes the folder.
    @Test func sigkillOfTheDrillLeavesNoProcessAndCleanupRemovesItsFolder() async throws {
        let workspace = try TestWorkspace("sigkill-drill")
        defer { workspace.remove() }
        let artifact = try workspace.write("slow.sql", "--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (i int);\nSELECT pg_sleep(120);\n")
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks = []
        builder.variables = ["note: containment"]
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]
        let path = try workspace.write("drill.yaml", builder.yaml)
        let pid = Atomic<Int32>(0)
        let restoring = Atomic<Bool>(false)
        let run = Task {
            try await DrillCLI.run(
                ["run", "--verbose", path], workspace: workspace, onStart: { pid.store($0, ordering: .relaxed) },
                onLine: { if $0.contains("restore: started") { restoring.store(true, ordering: .relaxed) } })
        }
        for _ in 0..<300 where !restoring.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .seconds(1))
        let before = Self.processesOf(workspace)
        #expect(before.contains { $0.contains("postgres") }, "a server must run before the kill: \(before)")
        kill(pid.load(ordering: .relaxed), SIGKILL)
        _ = try await run.value

        var left = Self.processesOf(workspace)
        for _ in 0..<50 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = Self.processesOf(workspace)
        }
        #expect(left.isEmpty, "still running 5 s after SIGKILL: \(left)")
        #expect(!workspace.leftoversInTmp().isEmpty, "a killed drill cannot remove its own folder")

        let cleanup = try await DrillCLI.run(["cleanup", "--runtime", "none"], workspace: workspace)
        #expect(cleanup.standardOutput.contains("removed  folder \(workspace.tmp)/restore-drill-"), "\(cleanup.allOutput)")
        #expect(workspace.leftoversInTmp().isEmpty, "\(workspace.leftoversInTmp())")
    }

    /// A check that leaves children behind, in the background and in a session of their own.
    @Test func whatACheckLeavesRunningEndsWithIt() async throws {
        var sample = try await SampleDrill.prepare("check-children")
        defer { sample.remove() }
        let tag = String(Int.random(in: 100_000...999_999))
        let script = try sample.workspace.write(
            "spawn.sh", "#!/bin/sh\nsleep 3\(tag)1 &\nsetsid sh -c 'sleep 3\(tag)2 & exit 0' &\n( setsid sleep 3\(tag)3 & )\nsleep 0.3\necho spawned\n")
        chmod(script, 0o755)
        sample.drill.checks = [try sample.workspace.write("spawn/spawn.yaml", "id: spawn.children\nkind: command\nrun: \(script)\n")]

        let run = try await sample.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        try await Task.sleep(for: .milliseconds(300))
        let survivors = LiveProcesses.all().filter { $0.commandLine.contains("sleep 3\(tag)") }.map(\.commandLine)
        #expect(survivors.isEmpty, "left running by a check: \(survivors)")
    }

    static func processesOf(_ workspace: TestWorkspace) -> [String] {
        LiveProcesses.all().filter { $0.commandLine.contains(workspace.tmp) }.map { "\($0.pid): \($0.commandLine)" }
    }
}
