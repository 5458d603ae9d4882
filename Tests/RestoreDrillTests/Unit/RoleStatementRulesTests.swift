@testable import Restore
import Testing

/// How a cluster dump's role statements are kept out of the drill's way (`RoleStatementRules`).
@Suite("Role statements of a cluster dump")
struct RoleStatementRulesTests {
    static func rules(superuser: String = "postgres") -> RoleStatementRules {
        RoleStatementRules(drillSuperuser: superuser, existing: ["pg_monitor"])
    }

    @Test func aRoleTheClusterHasIsNotCreatedAgainAndANewOneIs() {
        var rules = Self.rules()
        #expect(rules.classify("CREATE ROLE \"postgres\";") == .drop)
        #expect(rules.classify("CREATE ROLE anon;") == .pass)
        #expect(rules.classify("CREATE ROLE anon;") == .drop, "created once, it exists")
        #expect(rules.classify("CREATE ROLE \"Mixed \"\"Case\"\"\";") == .pass)
        #expect(rules.created == ["anon", "Mixed \"Case\""])
        #expect(rules.skipped.first == "CREATE ROLE postgres: the throwaway cluster has it already")
    }

    /// Supabase demotes `postgres`; in a container drill `postgres` is the drill's superuser.
    @Test func theDrillsOwnSuperuserKeepsItsRights() {
        var rules = Self.rules()
        #expect(rules.classify("ALTER ROLE \"postgres\" WITH NOSUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;") == .drop)
        #expect(rules.classify("ALTER ROLE postgres SET search_path TO '$user', public;") == .drop)
        #expect(rules.classify("COMMENT ON ROLE postgres IS 'x';") == .drop)
        #expect(rules.classify("DROP ROLE IF EXISTS postgres;") == .drop)
        #expect(rules.classify("ALTER ROLE anon WITH NOSUPERUSER NOLOGIN;") == nil, "other roles get production's attributes")
        #expect(rules.classify("ALTER ROLE postgres_ro WITH LOGIN;") == nil, "a longer name is another role")
        #expect(rules.classify("ALTER TABLE t OWNER TO postgres;") == nil)
    }

    @Test func aTablespaceIsMadeInPlace() {
        var rules = Self.rules()
        let action = rules.classify("CREATE TABLESPACE fast OWNER app LOCATION '/mnt/nvme/pg';")
        #expect(action == .replace("SET allow_in_place_tablespaces = on; CREATE TABLESPACE fast OWNER app LOCATION '';"))
        #expect(rules.tablespaces.first?.location == "/mnt/nvme/pg")
    }

    /// Wired into the filter: the rules see role lines, backslash lines still go to the filter's own rules.
    @Test func theFilterAppliesTheRulesOutsideCopyData() {
        var filter = PlainSQLFilter(roleRules: Self.rules(superuser: "restore_drill"))
        #expect(filter.classify("CREATE ROLE restore_drill;") == .drop)
        #expect(filter.classify("\\connect app") == .connect("app"))
        #expect(filter.classify("COPY public.t (a) FROM stdin;") == .pass)
        #expect(filter.classify("CREATE ROLE restore_drill;") == .pass, "COPY data is never a statement")
        #expect(filter.classify("\\.") == .pass)
        #expect(filter.classify("CREATE ROLE restore_drill;") == .drop)
    }
}
