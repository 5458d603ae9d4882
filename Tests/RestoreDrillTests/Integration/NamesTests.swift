import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Restore
import Testing

/// Names real schemas end up with: a table name with a newline needs quoting everywhere, and
/// pg_dump's table of contents spells it with a space.
@Suite("Names that need quoting")
struct NamesTests {
    @Test(arguments: [DumpFormat.custom, .plain])
    func aTableNamedWithANewlineRestoresCompletelyAndIsCounted(format: DumpFormat) async throws {
        let workspace = try TestWorkspace("names-\(format.rawValue)")
        defer { workspace.remove() }
        let source = try await PgCtlProvisioner().provision(ProvisionRequest(majorVersion: try await TestServer.newestMajor(), quarantined: false))
        let artifact = workspace.file(format == .plain ? "names.sql" : "names.dump")
        do {
            let session = try await PostgresConnection.connect(source.connection)
            _ = try await session.execute(
                """
                CREATE TABLE public."legacy\nimport" (id int PRIMARY KEY, line text);
                INSERT INTO public."legacy\nimport" SELECT n, 'line ' || n FROM generate_series(1, 3) n;
                CREATE INDEX "by\nline" ON public."legacy\nimport" (line);
                CREATE TABLE public.plain (id int);
                INSERT INTO public.plain VALUES (1);
                """)
            session.close()
            let c = source.connection
            let dsn = "host=\(c.host) port=\(c.port) user=\(c.user) password=\(c.password ?? "") dbname=postgres"
            let recorded = try await DrillCLI.run(["record", artifact, "--source", dsn, "--dump", format.rawValue], workspace: workspace)
            #expect(recorded.exitCode == 0, "\(recorded.allOutput)")
            #expect(!recorded.standardError.contains("holds no data"), "\(recorded.allOutput)")
            _ = await source.tearDown()
        } catch {
            _ = await source.tearDown()
            throw error
        }
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks = ["postgres-core"]
        builder.variables = ["note: names"]
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]

        let run = try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let reports = DrillCLI.reportTexts(in: workspace.file("reports"))
        #expect(reports.contains("2 table(s), 4 rows equal to the source's"), "completeness compared the odd table too: \(reports)")
        // core.row-counts names it on one line, its newline shown as \n.
        #expect(reports.contains(#"legacy\nimport&quot; holds 3 rows"#), "\(reports)")
    }
}
