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
        try await createDatabase(on: server)
        var details: [String] = []
        let environment = server.connection.with(database: database).libpqEnvironment
        if inspection.format.usesPgRestore {
            let source = try await stagedArchive(server: server, progress: progress)
            details += try await runPgRestore(source: source, server: server, environment: environment, progress: progress)
        } else {
            details += try await runPsql(server: server, environment: environment)
        }
        return RestoreOutcome(database: database, details: details)
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
        return staged
    }

    private func runPgRestore(
        source: String, server: any ProvisionedServer, environment: [String: String], progress: @escaping @Sendable (String) -> Void
    ) async throws -> [String] {
        var arguments = ["--dbname=\(database)", "--exit-on-error", "--verbose"]
        let effectiveJobs = inspection.format.supportsParallelRestore ? max(1, jobs) : 1
        if effectiveJobs > 1 { arguments.append("--jobs=\(effectiveJobs)") }
        if dropOwnership { arguments += ["--no-owner", "--no-privileges"] }
        arguments.append(server.toolPath(source))
        let total = inspection.header.tocEntries
        let counter = ItemCounter()
        var invocation = server.toolInvocation("pg_restore", arguments: arguments, environment: environment)
        invocation.displayName = "pg_restore"
        invocation.onLine = { line, _ in
            guard line.contains("processing item") || line.contains("finished item") else { return }
            let done = counter.increment()
            if done % 50 == 0 { progress("pg_restore: \(done)\(total.map { "/\($0)" } ?? "") items") }
        }
        let result = try await ProcessRunner.run(invocation)
        guard result.succeeded else { throw Self.classify(tool: "pg_restore", result: result, serverRunning: server.isRunning) }
        return [
            "pg_restore \(server.binaries.version) restored \(counter.value) items with \(effectiveJobs) job(s) from \(inspection.format.rawValue) archive"
        ]
    }

    /// Creates, as NOLOGIN roles, the roles a plain dump names that the fresh cluster lacks.
    private func createReferencedRoles(on server: any ProvisionedServer) async throws -> [String] {
        let referenced = try await PlainDumpRoles.referenced(path: artifactPath, compression: inspection.compression)
        guard !referenced.isEmpty else { return [] }
        do {
            let connection = try await PostgresConnection.connect(server.connection)
            defer { connection.close() }
            let existing = Set(try await connection.query("SELECT rolname FROM pg_roles").rows.compactMap { $0[0] })
            let missing = referenced.subtracting(existing).sorted()
            for role in missing { _ = try await connection.execute("CREATE ROLE \(quoteIdentifier(role)) NOLOGIN") }
            return missing.isEmpty ? [] : ["created the roles the dump names, as NOLOGIN (roles are not part of a pg_dump): \(missing.joined(separator: ", "))"]
        } catch {
            throw RestoreError(.error, step: "create roles", "cannot create the roles the dump names: \(error)")
        }
    }

    private func runPsql(server: any ProvisionedServer, environment: [String: String]) async throws -> [String] {
        let roleNotes = try await createReferencedRoles(on: server)
        var psql = server.toolInvocation(
            "psql", arguments: ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--dbname=\(database)", "--file=-"], environment: environment)
        psql.input = .file(artifactPath)
        psql.displayName = "psql"
        psql.captureLimit = 64 * 1024
        let result: ToolResult
        if let tool = inspection.compression.tool {
            psql.input = .none
            let pair = try await ProcessRunner.runPipeline(
                ToolInvocation(executable: tool, arguments: ["-dc", "--", artifactPath], displayName: "\(tool) -dc"), into: psql)
            if !pair.producer.succeeded, pair.consumer.succeeded || pair.producer.signal != SIGPIPE {
                throw RestoreError(
                    .failure, step: "decompress",
                    "\(tool) cannot decompress \(artifactPath): \(pair.producer.standardError.trimmingCharacters(in: .whitespacesAndNewlines)). The artifact is damaged or truncated.",
                    detail: pair.producer.standardError)
            }
            result = pair.consumer
        } else {
            result = try await ProcessRunner.run(psql)
        }
        guard result.succeeded else { throw Self.classify(tool: "psql", result: result, serverRunning: server.isRunning) }
        return roleNotes + ["psql \(server.binaries.version) ran the plain SQL dump with ON_ERROR_STOP"]
    }

    /// Turns a failed restore tool into a failure (the backup is bad) or an error (we could not
    /// restore). A drill server that is no longer running makes it an error whatever the tool
    /// printed: its message then depends on when the server went away.
    static func classify(tool: String, result: ToolResult, serverRunning: Bool) -> RestoreError {
        let output = SecretMasker.shared.mask(result.standardError)
        let harnessSigns = [
            "could not connect", "server closed the connection unexpectedly", "No space left on device",
            "terminating connection due to administrator command", "the database system is shutting down",
        ]
        let kind: RestoreError.Kind =
            !serverRunning || harnessSigns.contains { output.contains($0) } || result.signal != nil ? .error : .failure
        let lines = output.split(separator: "\n").map(String.init)
        let errorLine = DumpInspector.firstErrorLine(output) ?? lines.last ?? result.terminationDescription
        var message = "\(tool) \(result.terminationDescription): \(errorLine.trimmingCharacters(in: .whitespaces))"
        if let commandIndex = lines.firstIndex(where: { $0.hasPrefix("Command was:") }) {
            let statement = lines[commandIndex...].prefix(3).joined(separator: " ").dropFirst("Command was:".count)
            message += "; failing statement: \(statement.trimmingCharacters(in: .whitespaces).prefix(300))"
        }
        if kind == .failure { message += ". The backup cannot be restored as it is." }
        if !serverRunning { message += ". The drill's PostgreSQL server stopped during the restore (see the server log)." }
        return RestoreError(kind, step: tool, message, detail: String(output.suffix(8000)))
    }
}

/// Quotes an SQL identifier.
func quoteIdentifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

/// Counts progress lines from a tool's output callback.
final class ItemCounter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}
