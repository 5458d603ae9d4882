import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Restore
import Testing

/// The Supabase-faithful sample in every form operators keep it: each must pass the app's
/// checks and the supabase pack, in the database its objects are in.
@Suite("A good backup passes in every form", .serialized)
struct BackupFormsTests {
    static let forms = SampleVariant(otherForms: true)
    static let supabaseVariables = ["supabase_admin_email: admin@example.com", "supabase_admin_password: env:TEST_ADMIN_PASSWORD"]

    /// The forms folder of the cached sample, copied into `workspace`.
    static func formsFolder(in workspace: TestWorkspace) async throws -> String {
        let sample = try await SampleBackupCache.shared.backup(variant: forms)
        let target = workspace.file("forms")
        try FileManager.default.copyItem(atPath: try #require(sample.otherForms), toPath: target)
        return target
    }

    static func expectEveryCheckPassed(_ drill: SampleDrill, _ run: DrillCLI.Run) throws {
        #expect(run.exitCode == 0, "\(run.allOutput)")
        let suites = try drill.report()["suites"] as? [[String: Any]] ?? []
        let checkCases = suites.filter { ($0["name"] as? String ?? "").hasPrefix("checks.") }.flatMap { $0["cases"] as? [[String: Any]] ?? [] }
        #expect(checkCases.count >= 9, "\(checkCases.count) check cases")
        let notPassed = checkCases.filter { $0["status"] as? String != "passed" && $0["status"] as? String != "skipped" }
        #expect(notPassed.isEmpty, "\(notPassed)")
    }

    static func restoreOutput(_ drill: SampleDrill) throws -> String {
        try drill.cases(ofSuite: "restore").compactMap { $0["output"] as? String }.joined(separator: "\n")
    }

    static func prepare(_ label: String, format: DumpFormat = .custom) async throws -> SampleDrill {
        var drill = try await SampleDrill.prepare(label, format: format, variant: forms)
        drill.drill.checks.append(RepositoryPaths.checks + "/supabase")
        drill.drill.variables += supabaseVariables
        return drill
    }

    @Test func aCustomDumpWithItsRolesFile() async throws {
        var drill = try await Self.prepare("forms-roles")
        defer { drill.remove() }
        let forms = try await Self.formsFolder(in: drill.workspace)
        drill.drill.backupExtra = ["roles: \(forms)/roles.sql"]

        let run = try await drill.run()

        try Self.expectEveryCheckPassed(drill, run)
        let output = try Self.restoreOutput(drill)
        #expect(output.contains("applied the roles file \(forms)/roles.sql"), "\(output)")
        // The drill's own superuser is left alone; production's roles keep their attributes.
        #expect(output.contains("left out: CREATE ROLE restore_drill: the throwaway cluster has it already"), "\(output)")
        let created = output.split(separator: "\n").first { $0.hasPrefix("roles created from the dump: ") } ?? ""
        #expect(["anon", "authenticator", "supabase_admin", "postgres"].allSatisfy { created.contains($0) }, "\(output)")
        #expect(!output.contains("created the roles the dump names"), "the roles file made every role: \(output)")
    }

    @Test func aCustomDumpWithoutARolesFile() async throws {
        let drill = try await Self.prepare("forms-noroles")
        defer { drill.remove() }

        let run = try await drill.run()

        try Self.expectEveryCheckPassed(drill, run)
        #expect(try Self.restoreOutput(drill).contains("as SUPERUSER, because they own event triggers: supabase_admin"))
    }

    @Test func aPlainDumpWithOwners() async throws {
        let drill = try await Self.prepare("forms-plain", format: .plain)
        defer { drill.remove() }

        let run = try await drill.run()

        try Self.expectEveryCheckPassed(drill, run)
    }

    /// `pg_dumpall` of the whole cluster, found as such under `format: pg_dump`, its version read
    /// from the first database's header (no sidecar), checked in its one database (`app`).
    @Test(arguments: ["pg_dump", "pg_dumpall"])
    func aClusterDump(format: String) async throws {
        var drill = try await Self.prepare("forms-cluster-\(format)")
        defer { drill.remove() }
        let forms = try await Self.formsFolder(in: drill.workspace)
        drill.drill.artifact = forms + "/cluster.sql"

        let yaml = drill.drill.yaml.replacingOccurrences(of: "format: pg_dump", with: "format: \(format)")
        let run = try await DrillCLI.run(
            ["run", try drill.workspace.write("drill.yaml", yaml)], workspace: drill.workspace, environment: SampleDrill.passwordEnvironment)

        try Self.expectEveryCheckPassed(drill, run)
        let output = try Self.restoreOutput(drill)
        #expect(output.contains("ran the pg_dumpall file in restricted mode with ON_ERROR_STOP, in the databases postgres, template1, app"), "\(output)")
        let compared = try drill.cases(ofSuite: "completeness").filter { ($0["name"] as? String ?? "").hasSuffix("(database app)") }
        #expect(compared.count == 2 && compared.allSatisfy { $0["status"] as? String == "passed" }, "\(compared)")
        #expect(output.contains("left out: CREATE ROLE restore_drill"), "\(output)")
    }

    /// `pg_dumpall --roles-only > backup.sql; pg_dump >> backup.sql`: one file, roles first.
    @Test func aRolesOnlyDumpFollowedByAPgDumpInOneFile() async throws {
        var drill = try await Self.prepare("forms-concat", format: .plain)
        defer { drill.remove() }
        let forms = try await Self.formsFolder(in: drill.workspace)
        let joined = try String(contentsOfFile: forms + "/roles.sql", encoding: .utf8) + (try String(contentsOfFile: drill.artifact, encoding: .utf8))
        drill.drill.artifact = try drill.workspace.write("roles-and-app.sql", joined)
        drill.drill.postgresExtra = ["version: auto"]

        let run = try await drill.run()

        try Self.expectEveryCheckPassed(drill, run)
        #expect(try Self.restoreOutput(drill).contains("in the databases postgres"))
    }

    /// A cluster dump is compared database by database: a database whose restore lost a table
    /// the dump held fails, naming the database and the table, while the others pass.
    @Test func aClusterDumpIsComparedDatabaseByDatabase() async throws {
        var drill = try await Self.prepare("forms-cluster-each")
        defer { drill.remove() }
        let forms = try await Self.formsFolder(in: drill.workspace)
        var text = try String(contentsOfFile: forms + "/cluster.sql", encoding: .utf8)
        let appSection = try #require(text.range(of: "-- Database \"app\" dump"))
        let appEnd = try #require(text.range(of: "-- PostgreSQL database dump complete", range: appSection.upperBound..<text.endIndex))
        text.insert(contentsOf: "DROP TABLE app.catalog_imports;\n\n--\n", at: appEnd.lowerBound)
        drill.drill.artifact = try drill.workspace.write("cluster.sql", text)

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let cases = try drill.cases(ofSuite: "completeness")
        let app = cases.first { $0["name"] as? String == "every object the backup holds was restored (database app)" }
        #expect(app?["status"] as? String == "failed", "\(cases)")
        let message = app?["message"] as? String ?? ""
        #expect(message.contains("app.catalog_imports"), "\(message)")
        let rows = cases.first { $0["name"] as? String == "every table has the rows the backup holds (database app)" }
        #expect(rows?["status"] as? String == "failed", "\(cases)")
    }

    /// The Supabase CLI's three files (and the platform part) from their folder, with the drill
    /// file in another folder naming it relatively and the drill run from a third.
    @Test func theSupabaseCLIFilesWithRelativePathsRunFromAnotherFolder() async throws {
        let drill = try await Self.prepare("forms-cli")
        defer { drill.remove() }
        _ = try await Self.formsFolder(in: drill.workspace)
        let yaml = drill.drill.yaml
            .replacingOccurrences(of: "format: pg_dump", with: "format: supabase_cli")
            .replacingOccurrences(of: "location: file://\(drill.artifact)", with: "location: ../forms/supabase-cli")
            .replacingOccurrences(of: "dir: \(drill.reports)", with: "dir: ../reports")
        _ = try drill.workspace.write("drills/drill.yaml", yaml)
        try FileManager.default.createDirectory(atPath: drill.workspace.file("elsewhere"), withIntermediateDirectories: true)

        let run = try await DrillCLI.run(
            ["run", "../drills/drill.yaml"], workspace: drill.workspace, environment: SampleDrill.passwordEnvironment,
            workingDirectory: drill.workspace.file("elsewhere"))

        try Self.expectEveryCheckPassed(drill, run)
        let output = try Self.restoreOutput(drill)
        #expect(output.contains("applied the roles file \(drill.workspace.file("forms/supabase-cli/roles.sql"))"), "\(output)")
        #expect(output.contains("applied the data part"), "\(output)")
        #expect(output.contains("left out: CREATE ROLE restore_drill"), "\(output)")
    }

    /// `pg_dump --create` in plain SQL makes its database and connects to it: the checks look there.
    @Test func aPlainDumpThatCreatesItsDatabaseIsCheckedThere() async throws {
        let drill = try await SampleDrill.prepare("forms-create", format: .plain, variant: SampleVariant(dumpArguments: ["--create"]))
        defer { drill.remove() }

        let run = try await drill.run()

        try Self.expectEveryCheckPassed(drill, run)
        let output = try Self.restoreOutput(drill)
        #expect(output.contains("postgres → app"), "\(output)")
    }

    /// A roles file is part of the backup: one that cannot be applied fails the drill, naming
    /// the file and the statement's error, and no password verifier reaches a report.
    @Test func aRolesFileThatCannotBeAppliedFailsTheDrill() async throws {
        var drill = try await Self.prepare("forms-roles-broken")
        defer { drill.remove() }
        let forms = try await Self.formsFolder(in: drill.workspace)
        let verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHQ=$c3RvcmVkS2V5:c2VydmVyS2V5"
        let broken = try String(contentsOfFile: forms + "/roles.sql", encoding: .utf8)
            + "\nALTER ROLE ghost WITH LOGIN PASSWORD '\(verifier)';\n"
        drill.drill.backupExtra = ["roles: \(try drill.workspace.write("broken-roles.sql", broken))"]

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let restore = try drill.cases(ofSuite: "restore").first
        let message = restore?["message"] as? String ?? ""
        #expect(message.contains("broken-roles.sql: in database postgres: psql") && message.contains("role \"ghost\" does not exist"), "\(message)")
        #expect(!DrillCLI.reportTexts(in: drill.reports).contains(verifier))
        #expect(!run.allOutput.contains(verifier))
    }

    /// A cluster with a tablespace on its own disk: the pg_dumpall names production's path, the
    /// copy makes the tablespace inside its own data directory, and the rows in it are there.
    @Test func aClusterDumpWithATablespaceRestoresItInPlace() async throws {
        let workspace = try TestWorkspace("forms-tablespace")
        defer { workspace.remove() }
        let location = workspace.file("production-disk")
        try FileManager.default.createDirectory(atPath: location, withIntermediateDirectories: true)
        if let postgres = OSUser.lookup(name: "postgres") { chown(location, postgres.uid, postgres.gid) }
        let source = try await PgCtlProvisioner().provision(ProvisionRequest(majorVersion: try await TestServer.newestMajor(), quarantined: false))
        let artifact = workspace.file("cluster.sql")
        do {
            let session = try await PostgresConnection.connect(source.connection)
            _ = try await session.execute("CREATE TABLESPACE fast LOCATION '\(location)'")
            _ = try await session.execute("CREATE DATABASE shop TABLESPACE fast")
            session.close()
            let shop = try await PostgresConnection.connect(source.connection.with(database: "shop"))
            _ = try await shop.execute("CREATE TABLE orders (id int PRIMARY KEY) TABLESPACE fast; INSERT INTO orders SELECT generate_series(1, 250)")
            shop.close()
            let dump = try await ProcessRunner.run(
                ToolInvocation(
                    executable: source.binaries.path("pg_dumpall"), arguments: ["--file=\(artifact)"],
                    environment: source.connection.libpqEnvironment, displayName: "pg_dumpall"))
            #expect(dump.succeeded, "\(dump.standardError)")
            _ = await source.tearDown()
        } catch {
            _ = await source.tearDown()
            throw error
        }
        try FileManager.default.removeItem(atPath: location)
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.variables = ["note: tablespace"]
        builder.checks = [
            try workspace.write(
                "checks/orders.yaml", "id: shop.orders\nname: Orders in the tablespace\nquery: SELECT count(*)::text FROM orders\nexpect: {value: '250'}\n")
        ]

        let run = try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let restore = try DrillCLI.report(in: workspace.file("reports"))["suites"] as? [[String: Any]] ?? []
        let output = (restore.first { $0["name"] as? String == "restore" }?["cases"] as? [[String: Any]] ?? []).compactMap { $0["output"] as? String }.joined()
        #expect(output.contains("tablespace fast created in place inside the throwaway data directory (production's location: \(location))"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: location), "nothing was written at production's path")
    }
}

/// In the container suite: its tests count every drill container, so they must not overlap.
extension ContainerProvisionerTests {
    /// A container drill's superuser is `postgres`, which Supabase's roles file demotes
    /// (`ALTER ROLE postgres WITH NOSUPERUSER`): that statement is left out, the restore goes on.
    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"))
    func aRolesFileInAContainerLeavesTheDrillItsSuperuser() async throws {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        var drill = try await BackupFormsTests.prepare("forms-roles-container")
        defer { drill.remove() }
        let forms = try await BackupFormsTests.formsFolder(in: drill.workspace)
        drill.drill.backupExtra = ["roles: \(forms)/supabase-cli/roles.sql"]
        drill.drill.postgresExtra = ["image: \(image)"]
        let yaml = drill.drill.yaml.replacingOccurrences(
            of: "provisioner: pg_ctl", with: "provisioner: docker\n  runtime: podman\n  runtime_args: [--runtime, runc]")

        let run = try await DrillCLI.run(
            ["run", try drill.workspace.write("drill.yaml", yaml)], workspace: drill.workspace,
            environment: ContainerImage.environment.merging(SampleDrill.passwordEnvironment) { $1 })

        try BackupFormsTests.expectEveryCheckPassed(drill, run)
        let output = try BackupFormsTests.restoreOutput(drill)
        #expect(output.contains("CREATE ROLE postgres: the throwaway cluster has it already"), "\(output)")
        #expect(output.contains("ALTER ROLE postgres …: postgres is the drill's own superuser here"), "\(output)")
        #expect(try await ContainerImage.drillContainers().isEmpty)
    }
}
