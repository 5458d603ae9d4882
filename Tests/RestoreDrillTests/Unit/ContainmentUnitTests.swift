import DrillSupport
import PostgresClient
@testable import Restore
import Testing

@Suite("What psql may see of a plain dump")
struct PlainSQLFilterTests {
    @Test(arguments: [
        ("\\restrict ab12cd", PlainSQLFilter.Action.drop),
        ("\\unrestrict ab12cd", .drop),
        ("\\connect app", .connect("app")),
        ("\\c \"Mixed Db\"", .connect("Mixed Db")),
        ("\\connect -reuse-previous=on \"dbname='sales \\'23'\"", .connect("sales '23")),
        ("\\connect -", .drop),
        ("\\encoding SQL_ASCII", .replace("SET client_encoding = 'SQL_ASCII';")),
        ("\\encoding UTF8'; DROP TABLE x; --", .pass),
        ("SELECT 1;", .pass),
        ("\\! id", .pass),
        ("\\o /etc/cron.d/x", .pass),
    ] as [(String, PlainSQLFilter.Action)])
    func wholeLineCommandsAreHandledAndTheRestIsLeftToRestrictedPsql(line: String, action: PlainSQLFilter.Action) {
        var filter = PlainSQLFilter()
        #expect(filter.classify(Substring(line)) == action)
    }

    @Test(arguments: [
        "\\connect app user2",
        "\\connect host=127.0.0.2 dbname=postgres",
        "\\connect -reuse-previous=on \"dbname='postgres' host=127.0.0.2\"",
        "\\connect postgresql://prod.example/app",
        "\\c service=prod",
    ])
    func aConnectThatNamesMoreThanADatabaseIsRefused(line: String) {
        var filter = PlainSQLFilter()
        guard case .refuse = filter.classify(Substring(line)) else {
            Issue.record("\(line) was not refused")
            return
        }
    }

    @Test func copyDataIsPassedUnread() {
        var filter = PlainSQLFilter()
        let lines = ["COPY public.t (body) FROM stdin;", "\\connect evil", "\\restrict x", "\\.", "\\connect app", "-- PostgreSQL database dump complete"]
        let actions = lines.map { filter.classify(Substring($0)) }
        #expect(actions == [.pass, .pass, .pass, .pass, .connect("app"), .pass])
    }
}

@Suite("What children inherit")
struct ChildEnvironmentTests {
    @Test func libpqVariablesAndSecretsAreNeverInherited() {
        let masker = SecretMasker()
        masker.register("s3cr3t-value")
        let inherited = [
            "PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "HOME": "/root", "PGSERVICE": "prod", "PGHOSTADDR": "10.0.0.5",
            "PGPASSWORD": "x", "AWS_SECRET_ACCESS_KEY": "s3cr3t-value", "CI_JOB_TOKEN": "tok", "DOCKER_HOST": "unix:///run/d.sock",
        ]
        #expect(ChildEnvironment.scrubbed.base(from: inherited, masker: masker) == ["PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C", "HOME": "/root"])
        #expect(ChildEnvironment.scrubbedPlus(["DOCKER_HOST"]).base(from: inherited, masker: masker)["DOCKER_HOST"] == "unix:///run/d.sock")
        let operatorTool = ChildEnvironment.operatorTool.base(from: inherited, masker: masker)
        #expect(operatorTool["CI_JOB_TOKEN"] == "tok")
        #expect(operatorTool["PGSERVICE"] == nil && operatorTool["PGPASSWORD"] == nil && operatorTool["AWS_SECRET_ACCESS_KEY"] == nil)
    }

    @Test func aChildGetsACompleteConnectionAndNoPasswordFile() {
        let environment = ConnectionParameters(host: "/tmp/restore-drill-x/socket", port: 5433, user: "u", database: "d", options: ["sslmode": "disable"])
            .libpqEnvironment
        #expect(environment["PGHOST"] == "/tmp/restore-drill-x/socket" && environment["PGPORT"] == "5433")
        #expect(environment["PGUSER"] == "u" && environment["PGDATABASE"] == "d" && environment["PGSSLMODE"] == "disable")
        #expect(environment["PGPASSFILE"] == ConnectionParameters.noPasswordFile)
    }
}

@Suite("External DSNs resolved and checked")
struct ExternalDSNTests {
    @Test(arguments: [
        ("host='' dbname=app", "names no host"),
        ("dbname=app user=u", "names no host"),
        ("postgresql://u@:5432/db?host=", "names no host"),
        ("postgresql://u@/db", "names no host"),
        ("host=, dbname=app", "has an empty entry"),
        ("host=db1,,db2 dbname=app", "has an empty entry"),
        ("host=db1 hostaddr=10.1.2.3 dbname=app", "sets hostaddr"),
        ("service=prod", "sets service"),
        ("host=db1 passfile=/root/.pgpass", "sets passfile"),
        ("host=db1,db2 port=5432,5433,5434", "do not match"),
        ("host=db1 password=pw", "password is under 4 characters"),
    ])
    func whatWouldLetLibpqPickTheServerIsRefused(dsn: String, phrase: String) {
        do {
            _ = try ConnectionParameters.parse(dsn: dsn)
            Issue.record("\(dsn) was accepted")
        } catch {
            #expect(error.message.contains(phrase), "\(dsn): \(error.message)")
        }
    }

    @Test func aCompleteDSNKeepsItsHostsPortsAndTLSSettings() throws {
        let parsed = try ConnectionParameters.parse(dsn: "postgresql://drill:pw-long-enough@db1.internal:6432,db2.internal:6433/shop?sslmode=verify-full&sslrootcert=/ca.pem")
        #expect(parsed.host == "db1.internal,db2.internal")
        #expect(parsed.options["port"] == "6432,6433" && parsed.user == "drill" && parsed.database == "shop")
        #expect(parsed.options["sslmode"] == "verify-full" && parsed.libpqEnvironment["PGSSLROOTCERT"] == "/ca.pem")
    }
}
