import DrillSupport
import Foundation
import Provisioning
import Restore

/// The sample database backed up in the other forms operators keep, made with the real tools
/// from the same source server:
/// - `cluster.sql`: `pg_dumpall` of the whole source cluster;
/// - `roles.sql`: `pg_dumpall --roles-only`, to give beside a pg_dump as `backup.roles`;
/// - `supabase-cli/`: what `supabase db dump` writes when run three times (`--role-only`, the
///   schema, `--data-only`), quoted identifiers and all, with the data part starting with
///   `SET session_replication_role = replica` as the CLI's does; `platform.sql` holds what a
///   Supabase project has before a restore (the auth, storage and extensions schemas that the
///   CLI leaves out of its schema dump), for restoring onto a plain PostgreSQL.
public enum SampleForms {
    /// Writes every form into `folder`; returns it.
    static func write(from source: any ProvisionedServer, into folder: String) async throws -> String {
        let cli = folder + "/supabase-cli"
        for path in [folder, cli] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            chmod(path, 0o755)
        }
        let environment = source.connection.with(database: "app").libpqEnvironment
        try await run(source, "pg_dumpall", ["--file=\(folder)/cluster.sql"], environment)
        try await run(source, "pg_dumpall", ["--roles-only", "--file=\(folder)/roles.sql"], environment)
        try await run(source, "pg_dumpall", ["--roles-only", "--quote-all-identifiers", "--file=\(cli)/roles.sql"], environment)
        let platform = ["auth", "storage", "extensions"]
        // The platform's migration history comes with the platform, not with the project's data.
        let migrations = ["auth.schema_migrations", "storage.migrations"]
        try await run(
            source, "pg_dump", ["--schema-only", "--quote-all-identifiers", "--file=\(cli)/platform.schema.sql"] + platform.map { "--schema=\($0)" } + ["app"],
            environment)
        try await run(
            source, "pg_dump", ["--data-only", "--quote-all-identifiers", "--file=\(cli)/platform.data.sql"] + migrations.map { "--table=\($0)" } + ["app"],
            environment)
        let platformText = try String(contentsOfFile: cli + "/platform.schema.sql", encoding: .utf8) + "\n"
            + (try String(contentsOfFile: cli + "/platform.data.sql", encoding: .utf8))
        try platformText.write(toFile: cli + "/platform.sql", atomically: true, encoding: .utf8)
        for name in ["platform.schema.sql", "platform.data.sql"] { try FileManager.default.removeItem(atPath: cli + "/" + name) }
        try await run(
            source, "pg_dump", ["--schema-only", "--quote-all-identifiers", "--file=\(cli)/schema.sql"] + platform.map { "--exclude-schema=\($0)" } + ["app"],
            environment)
        let data = cli + "/data.body.sql"
        try await run(source, "pg_dump", ["--data-only", "--quote-all-identifiers", "--exclude-schema=extensions", "--file=\(data)"] + migrations.map { "--exclude-table=\($0)" } + ["app"], environment)
        let body = try String(contentsOfFile: data, encoding: .utf8)
        try ("SET session_replication_role = replica;\n\n" + body).write(toFile: cli + "/data.sql", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: data)
        for name in (try FileManager.default.contentsOfDirectory(atPath: cli)) { chmod(cli + "/" + name, 0o644) }
        for name in ["cluster.sql", "roles.sql"] { chmod(folder + "/" + name, 0o644) }
        return folder
    }

    private static func run(_ source: any ProvisionedServer, _ tool: String, _ arguments: [String], _ environment: [String: String]) async throws {
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: source.binaries.path(tool), arguments: arguments, environment: environment, displayName: tool))
        guard result.succeeded else { throw RestoreError(.error, step: tool, "\(tool) \(result.terminationDescription): \(result.standardError)") }
    }
}
