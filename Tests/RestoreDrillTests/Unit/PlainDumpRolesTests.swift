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
    ] as [(String, [String])])
    func readsRoleNamesFromStatements(line: String, roles: [String]) {
        #expect(PlainDumpRoles.roles(inStatement: line) == roles)
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
