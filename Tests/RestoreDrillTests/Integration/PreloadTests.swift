import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Restore
import Testing

/// `postgres.preload`: a logical restore of a database with pg_cron needs pg_cron preloaded,
/// and the jobs it restores must never run in the copy.
@Suite("Preloaded libraries in logical restores")
struct PreloadTests {
    static func drill(preload: Bool, in workspace: TestWorkspace) async throws -> DrillCLI.Run {
        let artifact = try await SampleBackupCache.shared.copy(variant: SampleVariant(scheduler: true), into: workspace)
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks = [
            try workspace.write(
                "checks/cron.yaml",
                """
                checks:
                  - id: cron-job-restored
                    query: SELECT jobname FROM cron.job
                    expect: {value: purge-audit-log}
                  - id: cron-kept-in-this-database
                    query: SELECT current_setting('cron.database_name') = current_database()
                    expect: true
                """)
        ]
        builder.variables = ["admin_email: admin@example.com"]
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"] + (preload ? ["preload: [pg_cron]"] : [])
        return try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)
    }

    @Test func aDumpWithPgCronRestoresWhenPreloaded() async throws {
        let workspace = try TestWorkspace("preload-on")
        defer { workspace.remove() }
        let run = try await Self.drill(preload: true, in: workspace)
        #expect(run.exitCode == 0, "\(run.allOutput)")
    }

    @Test func withoutThePreloadTheDrillSaysWhatToAdd() async throws {
        let workspace = try TestWorkspace("preload-off")
        defer { workspace.remove() }
        let run = try await Self.drill(preload: false, in: workspace)
        // The drill file's gap, not the backup's fault: an error (3), never "backup broken" (1).
        #expect(run.exitCode == 3, "\(run.allOutput)")
        #expect(run.allOutput.contains("add postgres.preload: [pg_cron] to the drill file"), "\(run.allOutput)")
    }

    @Test func aPreloadedPgCronRunsNoJob() async throws {
        // Listening on loopback is the case where pg_cron's own default (connect to localhost)
        // would reach the copy and run the job.
        var request = ProvisionRequest(majorVersion: try await TestServer.newestMajor(), listenOnLoopback: true)
        request.preload = ["pg_cron"]
        request.restoreDatabase = "app"
        let server = try await PgCtlProvisioner().provision(request)
        do {
            let admin = try await PostgresConnection.connect(server.connection)
            _ = try await admin.execute("CREATE DATABASE app")
            admin.close()
            let session = try await PostgresConnection.connect(server.connection.with(database: "app"))
            defer { session.close() }
            _ = try await session.execute("CREATE EXTENSION pg_cron")
            _ = try await session.execute("CREATE TABLE public.job_runs (at timestamptz NOT NULL DEFAULT now())")
            _ = try await session.execute("SELECT cron.schedule('every-minute', '* * * * *', 'INSERT INTO public.job_runs DEFAULT VALUES')")
            // pg_cron starts jobs on the minute: wait until one has passed, and a little more.
            let second = Int(Date().timeIntervalSince1970) % 60
            try await Task.sleep(for: .seconds(60 - second + 8))
            let runs = try await session.query("SELECT count(*) FROM public.job_runs")
            #expect(runs.value() == "0", "the job ran in the copy")
            let attempts = try await session.query("SELECT count(*) FILTER (WHERE status <> 'failed') FROM cron.job_run_details")
            #expect(attempts.value() == "0", "a job got further than its connection")
            let host = try await session.query("SHOW cron.host")
            #expect(host.value()?.hasSuffix("/no-scheduler-socket") == true)
        } catch {
            _ = await server.tearDown()
            throw error
        }
        let problems = await server.tearDown()
        #expect(problems.isEmpty, "\(problems)")
    }
}
