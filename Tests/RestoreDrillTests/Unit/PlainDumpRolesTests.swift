@testable import Restore
import Testing

@Suite("Roles a plain dump names")
struct PlainDumpRolesTests {
    @Test(arguments: [
        ("ALTER TABLE public.t OWNER TO app_owner;", ["app_owner"]),
        ("ALTER SCHEMA app OWNER TO \"Mixed Case\";", ["Mixed Case"]),
        ("GRANT SELECT ON TABLE app.users TO app_reader, \"bi team\";", ["app_reader", "bi team"]),
        ("GRANT USAGE ON SCHEMA app TO PUBLIC;", []),
        ("GRANT ALL ON TABLE t TO ops WITH GRANT OPTION;", ["ops"]),
        ("SET SESSION AUTHORIZATION 'legacy';", ["legacy"]),
        ("CREATE TABLE t (owner text);", []),
        ("CREATE POLICY \"read own\" ON public.notes FOR SELECT TO authenticated, \"service_role\" USING ((owner = auth.uid()));", ["authenticated", "service_role"]),
        ("CREATE POLICY p ON public.notes TO anon WITH CHECK (true);", ["anon"]),
        ("CREATE POLICY p ON public.notes USING (true);", []),
        ("ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO reporting;", ["postgres", "reporting"]),
        ("ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin REVOKE ALL ON FUNCTIONS FROM PUBLIC;", ["supabase_admin"]),
        ("REVOKE ALL ON TABLE public.notes FROM anon;", ["anon"]),
        ("GRANT SELECT ON TABLE t TO reader GRANTED BY grantor;", ["grantor", "reader"]),
        ("CREATE SCHEMA app AUTHORIZATION app_owner;", ["app_owner"]),
        ("ALTER EVENT TRIGGER issue_pg_cron_access OWNER TO supabase_admin;", ["supabase_admin"]),
    ] as [(String, [String])])
    func readsRoleNamesFromStatements(line: String, roles: [String]) {
        #expect(PlainDumpRoles.roles(inStatement: line) == roles)
    }

    @Test func eventTriggerOwnersMustBeSuperusers() {
        #expect(PlainDumpRoles.superuser(inStatement: "ALTER EVENT TRIGGER e OWNER TO \"supabase_admin\";") == "supabase_admin")
        #expect(PlainDumpRoles.superuser(inStatement: "ALTER TABLE t OWNER TO app;") == nil)
    }

    // Regression guard: data is never interpreted, even when a value looks like SQL.
    @Test func copyDataIsNotReadAsStatements() {
        let scanner = RoleScanner()
        for line in [
            "ALTER TABLE public.notes OWNER TO writer;",
            "COPY public.notes (body) FROM stdin;",
            "ALTER TABLE x OWNER TO evil;",
            "\\.",
            "GRANT SELECT ON TABLE public.notes TO reader;",
        ] { scanner.consume(line) }
        #expect(scanner.roles == ["writer", "reader"])
    }
}
