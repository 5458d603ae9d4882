import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Synchronization

/// Restores a pg_dump artifact: archives with `pg_restore --jobs N --exit-on-error`, plain SQL
/// with `psql -v ON_ERROR_STOP=1`; compressed plain SQL is piped from its decompressor,
/// compressed archives are first decompressed into the drill's scratch dir (parallel
/// `pg_restore` needs a seekable file).
public struct LogicalRestore: RestoreMethod {
    /// The artifact (file or directory), read-only.
    public var artifactPath: String
    /// What inspection found.
    public var inspection: ArtifactInspection
    /// Database to create and restore into.
    public var database: String
    /// Parallel jobs for archives that support it.
    public var jobs: Int
    /// Skip ownership and grants (roles are cluster-wide and not in a pg_dump).
    public var dropOwnership: Bool
    /// `backup.roles`: a roles file (`pg_dumpall --roles-only`, the Supabase CLI's roles.sql)
    /// applied before the dump, with `RoleStatementRules`.
    public var rolesFile: String?
    /// Plain SQL files applied after the roles and before the dump (a Supabase-shaped target's platform schema).
    public var platformFile: String?
    /// Plain SQL of data applied after the dump (the Supabase CLI's data.sql), with triggers off
    /// as the CLI's own restore does (`session_replication_role = replica`).
    public var dataFile: String?
    /// `backup.database` as the drill file gives it (nil: the restore decides where checks run).
    public var namedDatabase: String?

    /// Describes a restore.
    public init(artifactPath: String, inspection: ArtifactInspection, database: String, jobs: Int, dropOwnership: Bool = true) {
        self.artifactPath = artifactPath
        self.inspection = inspection
        self.database = database
        self.jobs = jobs
        self.dropOwnership = dropOwnership
    }

    public var toolName: String { inspection.format.usesPgRestore ? "pg_restore" : "psql" }

    public func restore(into server: any ProvisionedServer, progress: @escaping @Sendable (String) -> Void) async throws
        -> RestoreOutcome
    {
        // A cluster dump and a `pg_dump --create` dump make their databases themselves.
        let startsIn = inspection.format == .cluster || inspection.header.createsDatabase != nil ? "postgres" : database
        if startsIn == database { try await createDatabase(on: server) }
        var details: [String] = []
        var inventory: BackupInventory?
        var databases = [database]
        let environment = server.connection.with(database: database).libpqEnvironment
        if let rolesFile { details += try await applyRolesFile(rolesFile, on: server, progress: progress) }
        if let platformFile {
            progress("applying the platform schema \(platformFile)")
            let outcome = try await runPart(platformFile, database: database, server: server)
            try Self.requireWhole(outcome.inventory, part: "platform part", path: platformFile)
            details.append("applied the platform schema \(platformFile) (\(outcome.inventory.summary))")
        }
        if inspection.format.usesPgRestore {
            details += try await createReferencedRoles(on: server)
            let source = try await stagedArchive(server: server, progress: progress)
            details += try await runPgRestore(source: source, server: server, environment: environment, progress: progress)
        } else if inspection.format == .cluster {
            let (lines, outcome) = try await runCluster(server: server)
            details += lines
            inventory = outcome.inventory
            databases = outcome.databases
        } else {
            let (lines, outcome) = try await runPsql(server: server, startingIn: startsIn)
            details += lines
            inventory = outcome.inventory
            databases = outcome.databases
        }
        if let dataFile {
            progress("applying the data part \(dataFile)")
            let outcome = try await runPart(dataFile, database: databases.last ?? database, server: server, preamble: "SET session_replication_role = replica;")
            details.append("applied the data part \(dataFile) with triggers off (session_replication_role = replica): \(outcome.inventory.summary)")
            inventory = inventory.map { $0.adding(outcome.inventory) } ?? outcome.inventory
        }
        let restoredInto = inspection.format == .cluster ? Self.clusterChecksDatabase(databases, named: namedDatabase) : (databases.last ?? database)
        return RestoreOutcome(database: restoredInto, details: details, inventory: inventory, databases: databases)
    }

    /// Where a cluster dump's checks run: the database the drill file names when the dump
    /// made it, else its one database besides `postgres` and `template1`, else `postgres`.
    static func clusterChecksDatabase(_ sessions: [String], named: String?) -> String {
        if let named { return named }
        var own: [String] = []
        for name in sessions where name != "postgres" && name != "template1" && !own.contains(name) { own.append(name) }
        return own.count == 1 ? own[0] : "postgres"
    }

    private func applyRolesFile(_ path: String, on server: any ProvisionedServer, progress: @escaping @Sendable (String) -> Void) async throws -> [String] {
        progress("applying the roles file \(path)")
        let outcome = try await runPart(path, database: "postgres", server: server, rules: try await roleRules(on: server))
        try Self.requireWhole(outcome.inventory, part: "roles file", path: path)
        return ["applied the roles file \(path)"] + (outcome.roleRules?.summary ?? [])
    }

    /// A part made by pg_dump or pg_dumpall must end with their trailer: one cut short would
    /// leave roles (or the platform's tables) out, and what the dump names would be made up.
    static func requireWhole(_ inventory: BackupInventory, part: String, path: String) throws {
        guard inventory.hasDumpHeader, inventory.complete == false else { return }
        let trailer = inventory.clusterDump ? "-- PostgreSQL database cluster dump complete" : "-- PostgreSQL database dump complete"
        throw RestoreError(
            .failure, step: part,
            "the \(part) \(path) does not end with its trailer (\(trailer)): it was cut short, and what came after the cut is not in it. The backup cannot be restored as it is.")
    }

    /// Role rules for the throwaway cluster as it is now.
    private func roleRules(on server: any ProvisionedServer) async throws -> RoleStatementRules {
        do {
            let connection = try await PostgresConnection.connect(server.connection)
            defer { connection.close() }
            let existing = Set(try await connection.query("SELECT rolname FROM pg_roles").rows.compactMap { $0[0] })
            return RoleStatementRules(drillSuperuser: server.connection.user, existing: existing)
        } catch {
            throw RestoreError(.error, step: "roles", "cannot read the throwaway cluster's roles: \(error)")
        }
    }

    /// One plain SQL file of a backup of several parts, through the same restricted psql as a plain dump.
    private func runPart(
        _ path: String, database: String, server: any ProvisionedServer, rules: RoleStatementRules? = nil, preamble: String? = nil
    ) async throws -> PlainSQLRestore.Outcome {
        let compression = Compression.detect(magic: try DumpInspector.readHead(path: path, count: 8))
        var restore = PlainSQLRestore(artifactPath: path, compression: compression, database: database, server: server, roleRules: rules)
        restore.preamble = preamble
        do {
            return try await restore.run()
        } catch var error as RestoreError {
            error.message = "\((path as NSString).lastPathComponent): " + error.message
            throw error
        }
    }

    /// A pg_dumpall file: its roles and tablespaces through `RoleStatementRules`, every database it `\connect`s to.
    private func runCluster(server: any ProvisionedServer) async throws -> ([String], PlainSQLRestore.Outcome) {
        let rules = try await roleRules(on: server)
        let outcome = try await PlainSQLRestore(
            artifactPath: artifactPath, compression: inspection.compression, database: "postgres", server: server, roleRules: rules
        ).run()
        var restored: [String] = []
        for name in outcome.databases where !restored.contains(name) { restored.append(name) }
        let lines = (outcome.roleRules?.summary ?? []) + [
            "psql \(server.binaries.version) ran the pg_dumpall file in restricted mode with ON_ERROR_STOP, in the databases \(restored.joined(separator: ", "))"
        ]
        return (lines, outcome)
    }

    private func createDatabase(on server: any ProvisionedServer) async throws {
        do {
            let connection = try await PostgresConnection.connect(server.connection)
            defer { connection.close() }
            // A dump of `postgres` (or another database a fresh cluster has) goes into the empty one there.
            let exists = try await connection.query("SELECT count(*) FROM pg_database WHERE datname = $1", [database]).int() == 1
            if !exists { _ = try await connection.execute("CREATE DATABASE \(quoteIdentifier(database))") }
        } catch {
            throw RestoreError(.error, step: "create database", "cannot create database \(database) in the drill server: \(error)")
        }
    }

    private func stagedArchive(server: any ProvisionedServer, progress: @escaping @Sendable (String) -> Void) async throws -> String {
        guard let tool = inspection.compression.tool else { return artifactPath }
        let staged = server.scratchDirectory + "/artifact.\(inspection.format.rawValue)"
        progress("decompressing \(inspection.compression.rawValue) archive into \(staged)")
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: tool, arguments: ["-dc", "--", artifactPath], outputFile: staged, displayName: "\(tool) -dc"))
        guard result.succeeded else {
            let noSpace = result.standardError.contains("No space left")
            throw RestoreError(
                noSpace ? .error : .failure, step: "decompress",
                noSpace
                    ? "no space left in \(server.scratchDirectory) to decompress the archive; set TMPDIR to a larger filesystem"
                    : "\(tool) cannot decompress \(artifactPath): \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)). The artifact is damaged or truncated.",
                detail: result.standardError)
        }
        // The restore tools run as the server's account.
        if let user = server.toolUser { _ = Glibc.chown(staged, user.uid, user.gid) }
        return staged
    }

    private func runPgRestore(
        source: String, server: any ProvisionedServer, environment: [String: String], progress: @escaping @Sendable (String) -> Void
    ) async throws -> [String] {
        var arguments = ["--dbname=\(database)", "--exit-on-error", "--verbose"]
        // pg_restore runs as the server's account, never as root; a file that account cannot
        // read is opened by the drill (read-only) and fed on standard input, one job.
        var source = source
        var readable = try await Self.readable(source, by: server.toolUser, directory: inspection.format == .directory)
        var notes: [String] = []
        if !readable && inspection.format == .directory {
            source = try await stageDirectory(source, server: server)
            readable = true
            notes.append(
                "OS user \(server.toolUser?.name ?? "?") cannot read the directory-format dump \(artifactPath): the drill copied it into its scratch folder for pg_restore (grant read access to skip the copy)")
        }
        let effectiveJobs = inspection.format.supportsParallelRestore && readable ? max(1, jobs) : 1
        if effectiveJobs > 1 { arguments.append("--jobs=\(effectiveJobs)") }
        if dropOwnership { arguments += ["--no-owner", "--no-privileges"] }
        if readable {
            arguments.append(server.toolPath(source))
        } else {
            notes.append(
                "OS user \(server.toolUser?.name ?? "?") cannot read \(source): the drill fed it to pg_restore on standard input with one job (grant read access for a parallel restore)")
        }
        let total = inspection.header.tocEntries
        let counter = ItemCounter()
        var invocation = server.toolInvocation("pg_restore", arguments: arguments, environment: environment)
        invocation.displayName = "pg_restore"
        if !readable { invocation.input = .file(source) }
        invocation.onLine = { line, _ in
            guard line.contains("processing item") || line.contains("finished item") else { return }
            let done = counter.increment()
            if done % 50 == 0 { progress("pg_restore: \(done)\(total.map { "/\($0)" } ?? "") items") }
        }
        let result = try await ProcessRunner.run(invocation)
        guard result.succeeded else { throw Self.classify(tool: "pg_restore", result: result, serverRunning: server.isRunning) }
        return notes + [
            "pg_restore \(server.binaries.version) restored \(counter.value) items with \(effectiveJobs) job(s) from \(inspection.format.rawValue) archive"
        ]
    }

    /// A copy of a directory-format dump the restore tools' account may read.
    private func stageDirectory(_ path: String, server: any ProvisionedServer) async throws -> String {
        let staged = server.scratchDirectory + "/dump"
        let copied = try await ProcessRunner.run(
            ToolInvocation(executable: "cp", arguments: ["-R", "--no-preserve=ownership,mode", "--", path, staged], displayName: "cp"))
        guard copied.succeeded else {
            let noSpace = copied.standardError.contains("No space left")
            throw RestoreError(
                .error, step: "pg_restore",
                noSpace
                    ? "no space left in \(server.scratchDirectory) to copy the directory-format dump; set TMPDIR to a larger filesystem, or grant OS user \(server.toolUser?.name ?? "postgres") read access to \(path)"
                    : "cannot copy \(path) for the restore tools: \(copied.standardError.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        if let user = server.toolUser {
            _ = try await ProcessRunner.run(ToolInvocation(executable: "chown", arguments: ["-R", "\(user.uid):\(user.gid)", staged], displayName: "chown"))
        }
        return staged
    }

    /// True when `user` (nil: this process) can read `path` (and list it, for a directory).
    static func readable(_ path: String, by user: OSUser?, directory: Bool) async throws -> Bool {
        guard let user else { return true }
        let probe = directory ? ["-r", path + "/toc.dat", "-a", "-x", path] : ["-r", path]
        let result = try await ProcessRunner.run(ToolInvocation(executable: "test", arguments: probe, user: user, displayName: "test -r"))
        return result.succeeded
    }

    /// Creates the roles the dump names that the fresh cluster lacks: NOLOGIN, and SUPERUSER
    /// where the dump needs one (an event trigger's owner). They exist only in the throwaway cluster.
    private func createReferencedRoles(on server: any ProvisionedServer) async throws -> [String] {
        let needs: PlainDumpRoles.Needs
        if inspection.format.usesPgRestore {
            needs = try await PlainDumpRoles.referenced(archive: artifactPath, compression: inspection.compression, pgRestore: await Self.hostPgRestore())
        } else {
            needs = try await PlainDumpRoles.referenced(path: artifactPath, compression: inspection.compression)
        }
        guard !needs.names.isEmpty else { return [] }
        do {
            let connection = try await PostgresConnection.connect(server.connection)
            defer { connection.close() }
            let existing = Set(try await connection.query("SELECT rolname FROM pg_roles").rows.compactMap { $0[0] })
            let missing = needs.names.subtracting(existing).sorted()
            for role in missing {
                let superuser = needs.superusers.contains(role)
                _ = try await connection.execute("CREATE ROLE \(quoteIdentifier(role)) NOLOGIN\(superuser ? " SUPERUSER" : "")")
            }
            guard !missing.isEmpty else { return [] }
            let elevated = missing.filter { needs.superusers.contains($0) }
            return [
                "created the roles the dump names, as NOLOGIN (roles are not part of a pg_dump): \(missing.joined(separator: ", "))"
                    + (elevated.isEmpty ? "" : "; as SUPERUSER, because they own event triggers: \(elevated.joined(separator: ", "))")
            ]
        } catch {
            throw RestoreError(.error, step: "create roles", "cannot create the roles the dump names: \(error)")
        }
    }

    /// A pg_restore of the drill host, for reading an archive's SQL (never for restoring).
    public static func hostPgRestore() async -> String {
        let newest = await ServerBinaries.installed().first { FileManager.default.isExecutableFile(atPath: $0.path("pg_restore")) }
        return newest?.path("pg_restore") ?? "pg_restore"
    }

    private func runPsql(server: any ProvisionedServer, startingIn: String) async throws -> ([String], PlainSQLRestore.Outcome) {
        let roleNotes = try await createReferencedRoles(on: server)
        let outcome = try await PlainSQLRestore(artifactPath: artifactPath, compression: inspection.compression, database: startingIn, server: server).run()
        let databases = outcome.databases.count > 1 ? " in \(outcome.databases.count) sessions (\(outcome.databases.joined(separator: " → ")))" : ""
        let lines = roleNotes + [
            "psql \(server.binaries.version) ran the plain SQL dump in restricted mode (no backslash command of the dump runs) with ON_ERROR_STOP\(databases)"
        ]
        return (lines, outcome)
    }

    /// Turns a failed restore tool into a failure (the backup is bad) or an error (we could not
    /// restore). A drill server that is no longer running makes it an error whatever the tool
    /// printed: its message then depends on when the server went away.
    static func classify(tool: String, result: ToolResult, serverRunning: Bool) -> RestoreError {
        let output = SecretMasker.shared.mask(result.standardError)
        let lines = output.split(separator: "\n").map(String.init)
        let errorLine = DumpInspector.firstErrorLine(output) ?? lines.last ?? result.terminationDescription
        // A statement of the dump that the server rejected is the backup's problem, even when the
        // statement itself tried to connect somewhere (a subscription, dblink, a foreign server).
        let statementFailed = errorLine.contains("ERROR:  ") && !errorLine.contains("No space left on device")
        let harnessSigns = [
            "could not connect", "server closed the connection unexpectedly", "No space left on device",
            "terminating connection due to administrator command", "the database system is shutting down",
        ]
        let preload = preloadHint(errorLine)
        // A library the drill's server does not preload is the drill file's gap, not the backup's.
        let kind: RestoreError.Kind =
            !serverRunning || result.signal != nil || preload != nil || (!statementFailed && harnessSigns.contains { output.contains($0) }) ? .error : .failure
        var message = "\(tool) \(result.terminationDescription): \(errorLine.trimmingCharacters(in: .whitespaces))"
        if let commandIndex = lines.firstIndex(where: { $0.hasPrefix("Command was:") }) {
            let statement = lines[commandIndex...].prefix(3).joined(separator: " ").dropFirst("Command was:".count)
            message += "; failing statement: \(statement.trimmingCharacters(in: .whitespaces).prefix(300))"
        }
        let reachingOut = ["could not connect to", "could not establish connection", "Network is unreachable"]
        if statementFailed, reachingOut.contains(where: errorLine.contains) {
            message += " (the dump connects to another server during the restore; the restored copy has no network, by design)"
        }
        if let preload { message += ". \(preload)" }
        if kind == .failure { message += ". The backup cannot be restored as it is." }
        if !serverRunning { message += ". The drill's PostgreSQL server stopped during the restore (see the server log)." }
        return RestoreError(kind, step: tool, message, detail: String(output.suffix(8000)))
    }
}

/// What to do when a restore statement failed because a library was not preloaded: pg_cron's
/// extension script reads `cron.database_name`, which exists only when pg_cron is preloaded,
/// and preload-only libraries refuse to load otherwise.
func preloadHint(_ errorLine: String) -> String? {
    if errorLine.contains("unrecognized configuration parameter \"cron.") || errorLine.contains("pg_cron can only be loaded") {
        return "The dump holds pg_cron, which only works preloaded: add postgres.preload: [pg_cron] to the drill file (its jobs are kept from running)"
    }
    if errorLine.contains("can only be loaded via shared_preload_libraries") || errorLine.contains("must be loaded via \"shared_preload_libraries\"")
        || errorLine.contains("must be loaded via shared_preload_libraries")
    {
        return "A library the dump needs must be preloaded: list it in postgres.preload in the drill file"
    }
    return nil
}

/// Quotes an SQL identifier.
func quoteIdentifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

/// Counts progress lines from a tool's output callback.
final class ItemCounter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}
