import Checks
import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Testing

/// The shipped packs against a real server loaded by the fixture scripts: they pass on good data
/// and each damage makes the check that guards it fail with its own message.
@Suite("Check packs", .serialized)
struct PackTests {
    static let adminPassword = "pack-admin-" + String(UUID().uuidString.prefix(8)).lowercased()

    /// Loads `fixtures/NAME` (schema.sql, then seed.sql with the admin password) into database `app`.
    static func load(_ fixture: String, into server: any ProvisionedServer) async throws -> ConnectionParameters {
        let admin = try await PostgresConnection.connect(server.connection)
        _ = try await admin.execute("CREATE DATABASE app")
        admin.close()
        let target = server.connection.with(database: "app")
        let roles = FileManager.default.fileExists(atPath: "\(RepositoryPaths.root)/fixtures/\(fixture)/roles.sql") ? [("roles.sql", [String]())] : []
        for (file, extra) in roles + [("schema.sql", [String]()), ("seed.sql", ["--set=admin_password=\(adminPassword)"])] {
            let result = try await ProcessRunner.run(
                ToolInvocation(
                    executable: server.binaries.path("psql"),
                    arguments: ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"] + extra + ["--file=\(RepositoryPaths.root)/fixtures/\(fixture)/\(file)"],
                    environment: target.libpqEnvironment))
            guard result.succeeded else { throw TestSupportError("loading \(fixture)/\(file): \(result.standardError)") }
        }
        return target
    }

    static func run(
        pack: String, on target: ConnectionParameters, server: any ProvisionedServer, variables: [String: String] = [:],
        recoveryPoint: Date = Date()
    ) async throws -> [String: CheckResult] {
        let checks = try CheckLoader.loadPack(directory: RepositoryPaths.checks + "/" + pack)
        var context = CheckContext(connection: target, variables: variables, recoveryPoint: recoveryPoint, concurrency: 4)
        context.binDirectory = server.binaries.directory
        context.drillEnvironment = ["DRILL_FILE_DIR": NSTemporaryDirectory()]
        let results = await CheckRunner.run(checks, context: context)
        return Dictionary(results.map { ($0.check.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func supabasePackPassesOnAGoodCopyAndNamesEachDamage() async throws {
        try await TestServer.with { server in
            let target = try await Self.load("supabase", into: server)
            SecretMasker.shared.register(Self.adminPassword)
            let variables = ["supabase_admin_email": "admin@example.com", "supabase_admin_password": Self.adminPassword]
            let session = try await PostgresConnection.connect(target)
            defer { session.close() }

            let good = try await Self.run(pack: "supabase", on: target, server: server, variables: variables)
            #expect(good.values.allSatisfy { $0.status == .passed }, "\(good.values.filter { $0.status != .passed }.map { "\($0.check.id): \($0.message)" })")
            #expect(good.count == 7)

            var wrong = variables
            wrong["supabase_admin_password"] = "not-the-admin-password"
            let badPassword = try await Self.run(pack: "supabase", on: target, server: server, variables: wrong)
            #expect(
                badPassword["supabase.admin-login"]?.message
                    == "the Supabase admin cannot log in (the password does not verify against auth.users.encrypted_password of the row with email = 'admin@example.com')")

            // Audit log stale: the restored data stops two days before the recovery point.
            let stale = try await Self.run(
                pack: "supabase", on: target, server: server, variables: variables, recoveryPoint: Date().addingTimeInterval(2 * 86400))
            let staleMessage = stale["supabase.audit-log-fresh"]?.message ?? ""
            #expect(stale["supabase.audit-log-fresh"]?.status == .failed)
            #expect(staleMessage.contains("before the recovery point; allowed 1d00h"), "\(staleMessage)")

            _ = try await session.execute("DELETE FROM auth.users WHERE email = 'admin@example.com' AND NOT is_sso_user")
            let noAdmin = try await Self.run(pack: "supabase", on: target, server: server, variables: variables)
            #expect(
                noAdmin["supabase.admin-login"]?.message
                    == "the Supabase admin cannot log in (no row of auth.users has email = 'admin@example.com' and NOT is_sso_user)")

            _ = try await session.execute("DROP TABLE auth.audit_log_entries")
            let dropped = try await Self.run(pack: "supabase", on: target, server: server, variables: variables)
            #expect(dropped["supabase.auth-tables"]?.message == "no table matches auth.audit_log_entries")
            #expect(dropped["supabase.audit-log-fresh"]?.status == .skipped, "it runs after the table check")
        }
    }

    /// The login check decides as GoTrue does: the password account beside an SSO account of the
    /// same email, the email in any case, and a banned or deleted admin cannot sign in.
    @Test func supabaseAdminLoginFollowsGoTrue() async throws {
        try await TestServer.with { server in
            let target = try await Self.load("supabase", into: server)
            SecretMasker.shared.register(Self.adminPassword)
            let session = try await PostgresConnection.connect(target)
            defer { session.close() }
            let login = { (email: String) async throws -> CheckResult? in
                let results = try await Self.run(
                    pack: "supabase", on: target, server: server,
                    variables: ["supabase_admin_email": email, "supabase_admin_password": Self.adminPassword])
                return results["supabase.admin-login"]
            }
            let ssoRows = try await session.query("SELECT count(*) FROM auth.users WHERE email = 'admin@example.com' AND is_sso_user AND encrypted_password = ''")
            #expect(ssoRows.value() == "1", "the fixture has the SSO account beside the password one")

            let plain = try await login("admin@example.com")
            #expect(plain?.status == .passed, "\(plain?.message ?? "")")
            let mixedCase = try await login("Admin@Example.COM")
            #expect(mixedCase?.status == .passed, "\(mixedCase?.message ?? "")")

            _ = try await session.execute("UPDATE auth.users SET banned_until = now() + interval '7 days' WHERE id = '11111111-1111-4111-8111-111111111111'")
            let banned = try await login("admin@example.com")
            #expect(banned?.status == .failed)
            #expect(
                banned?.message
                    == "the Supabase admin cannot log in (the row of auth.users with email = 'admin@example.com' cannot log in: the account is banned (banned_until is in the future) (banned_until > now()))")
            _ = try await session.execute("UPDATE auth.users SET banned_until = now() - interval '1 day' WHERE id = '11111111-1111-4111-8111-111111111111'")
            #expect(try await login("admin@example.com")?.status == .passed, "a ban that ended does not count")

            _ = try await session.execute("UPDATE auth.users SET deleted_at = now() - interval '1 hour' WHERE id = '11111111-1111-4111-8111-111111111111'")
            let deleted = try await login("admin@example.com")
            #expect(deleted?.status == .failed)
            #expect(deleted?.message.contains("the account was deleted (deleted_at is set)") == true, "\(deleted?.message ?? "")")
            _ = try await session.execute("UPDATE auth.users SET deleted_at = NULL, encrypted_password = '' WHERE id = '11111111-1111-4111-8111-111111111111'")
            let noPassword = try await login("admin@example.com")
            #expect(
                noPassword?.message
                    == "the Supabase admin cannot log in (the row of auth.users with email = 'admin@example.com' has no password (encrypted_password is empty))")
            _ = try await session.execute("UPDATE auth.users SET encrypted_password = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA' WHERE id = '11111111-1111-4111-8111-111111111111'")
            let argon = try await login("admin@example.com")
            #expect(argon?.status == .error, "a hash crypt() cannot check proves nothing either way")
            #expect(argon?.message.contains("is an Argon2 hash, which crypt() cannot check") == true, "\(argon?.message ?? "")")

            // GoTrue configured to write no audit log: the freshness check says so, not "got NULL".
            _ = try await session.execute("TRUNCATE auth.audit_log_entries")
            let empty = try await Self.run(
                pack: "supabase", on: target, server: server,
                variables: ["supabase_admin_email": "admin@example.com", "supabase_admin_password": Self.adminPassword])
            #expect(empty["supabase.audit-log-fresh"]?.status == .failed)
            #expect(
                empty["supabase.audit-log-fresh"]?.message
                    == "auth.audit_log_entries.created_at holds no timestamp (the table is empty, or the column is NULL in every row), so nothing shows the restored data reaches the recovery point")
        }
    }

    @Test func postgresCorePackFindsCatalogDamage() async throws {
        try await TestServer.with { server in
            let target = try await Self.load("supabase", into: server)
            let session = try await PostgresConnection.connect(target)
            defer { session.close() }
            _ = try await session.execute("CREATE TABLE public.orders (id bigserial PRIMARY KEY, total int NOT NULL)")
            _ = try await session.execute("INSERT INTO public.orders (total) SELECT g FROM generate_series(1, 500) g")

            let good = try await Self.run(pack: "postgres-core", on: target, server: server)
            #expect(good.values.allSatisfy { $0.status == .passed }, "\(good.values.filter { $0.status != .passed }.map { "\($0.check.id): \($0.message)" })")
            let extensions = good["core.extensions"]?.tap?.tests.map(\.description) ?? []
            #expect(extensions.contains("pgcrypto has its files on this server"), "\(extensions)")

            // A sequence left behind its column (a dump restored without its setval).
            _ = try await session.execute("SELECT setval('public.orders_id_seq', 10)")
            // An invalid index: a concurrent unique build that failed on duplicates.
            _ = try await session.execute("INSERT INTO public.orders (id, total) VALUES (1000, 7), (1001, 7)")
            _ = try? await session.execute("CREATE UNIQUE INDEX CONCURRENTLY orders_total_unique ON public.orders (total)")
            // A constraint added NOT VALID and never validated.
            _ = try await session.execute("ALTER TABLE public.orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID")
            let expectations = try TestWorkspace("row-counts")
            defer { expectations.remove() }
            let file = try expectations.write("expected.txt", "# table min max\npublic.orders 600\nauth.users 1 1000\n")

            let damaged = try await Self.run(pack: "postgres-core", on: target, server: server, variables: ["core_row_counts": file])
            #expect(damaged["core.sequences-ahead"]?.status == .failed)
            let message = { (id: String) in damaged[id]?.message ?? "" }
            #expect(message("core.sequences-ahead").contains("public.orders_id_seq | public.orders.id | 10 | 1001"), "\(message("core.sequences-ahead"))")
            #expect(message("core.no-invalid-indexes").contains("orders_total_unique"))
            #expect(message("core.no-unvalidated-constraints").contains("orders_total_positive"))
            let counts = damaged["core.row-counts"]?.tap?.tests ?? []
            #expect(damaged["core.row-counts"]?.status == .failed)
            #expect(counts.contains { $0.outcome == .failed && $0.description == "public.orders holds 502 rows, expected at least 600" }, "\(counts)")
            #expect(counts.contains { $0.outcome == .passed && $0.description == "auth.users holds 302 rows (expected 1..1000)" }, "\(counts)")
            #expect(damaged["core.integrity"]?.status == .passed)
        }
    }
}
