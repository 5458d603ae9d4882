import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Restore
import Testing

/// Roles are cluster-wide and never in a pg_dump: a good backup whose policies, default
/// privileges and event triggers name roles must still restore, in every format.
@Suite("Roles a dump names")
struct RolesTests {
    static let sourceSQL = """
        CREATE ROLE authenticated NOLOGIN;
        CREATE ROLE reporting NOLOGIN;
        CREATE ROLE evt_owner NOLOGIN SUPERUSER;
        CREATE TABLE public.notes (id int PRIMARY KEY, owner text, body text);
        INSERT INTO public.notes VALUES (1, 'a', 'first'), (2, 'b', 'second');
        ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "own notes" ON public.notes FOR SELECT TO authenticated USING (owner = current_user);
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reporting;
        CREATE FUNCTION public.note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
        CREATE EVENT TRIGGER note_ddl ON ddl_command_end EXECUTE FUNCTION public.note_ddl();
        ALTER EVENT TRIGGER note_ddl OWNER TO evt_owner;
        """

    @Test(arguments: [DumpFormat.custom, .plain])
    func policiesDefaultPrivilegesAndEventTriggerOwnersGetTheirRoles(format: DumpFormat) async throws {
        let workspace = try TestWorkspace("roles-\(format.rawValue)")
        defer { workspace.remove() }
        let source = try await PgCtlProvisioner().provision(ProvisionRequest(majorVersion: try await TestServer.newestMajor(), quarantined: false))
        let artifact = workspace.file(format == .plain ? "notes.sql" : "notes.dump")
        do {
            let session = try await PostgresConnection.connect(source.connection)
            _ = try await session.execute(Self.sourceSQL)
            session.close()
            let c = source.connection
            let dsn = "host=\(c.host) port=\(c.port) user=\(c.user) password=\(c.password ?? "") dbname=postgres"
            let recorded = try await DrillCLI.run(["record", artifact, "--source", dsn, "--dump", format.rawValue], workspace: workspace)
            #expect(recorded.exitCode == 0, "\(recorded.allOutput)")
            _ = await source.tearDown()
        } catch {
            _ = await source.tearDown()
            throw error
        }
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks = []
        builder.variables = ["note: roles"]
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]

        let run = try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let reports = DrillCLI.reportTexts(in: workspace.file("reports"))
        #expect(reports.contains("authenticated"), "\(reports)")
        if format == .plain {
            #expect(reports.contains("as SUPERUSER, because they own event triggers: evt_owner"), "\(reports)")
        }
    }
}
