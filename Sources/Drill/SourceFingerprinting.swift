import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Restore

/// Takes the source database's table fingerprints in one read-only snapshot: the one a dump
/// used, or one `record` exports and runs `pg_dump` in.
enum SourceFingerprinting {
    static func take(_ source: BackupRecording.Source, artifact: String, progress: (@Sendable (String) -> Void)?) async throws
        -> SourceFingerprints
    {
        var parameters: ConnectionParameters
        if let given = source.parameters {
            parameters = given
        } else {
            do {
                parameters = try ConnectionParameters.parse(dsn: try await resolve(source.dsn ?? ""))
            } catch let error as PostgresError {
                throw ConfigError(file: "--source", message: error.description)
            }
        }
        parameters.applicationName = "restore-drill record"
        let session: PostgresConnection
        do {
            session = try await PostgresConnection.connect(parameters)
        } catch {
            throw RestoreError(.error, step: "record", "cannot connect to the source database: \(error)")
        }
        defer { session.close() }
        do {
            _ = try await session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            var snapshot = "now"
            var dumping: Task<Void, any Error>?
            // A fingerprint that fails stops the pg_dump it runs beside.
            defer { dumping?.cancel() }
            switch source.moment {
            case .snapshot(let id):
                guard !id.isEmpty, id.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                    throw ConfigError(file: "--snapshot", message: "'\(id)' is not a snapshot id (pg_export_snapshot() gives ones like 00000003-0000001B-1)")
                }
                _ = try await session.execute("SET TRANSACTION SNAPSHOT '\(id)'")
                snapshot = id
            case .now:
                break
            case .restorePoint(let name):
                snapshot = try await createRestorePoint(name, parameters: parameters, importingInto: session)
                progress?("restore point '\(name)' created in snapshot \(snapshot)")
            case .dump(let format):
                snapshot = try await session.query("SELECT pg_export_snapshot()").value() ?? ""
                progress?("pg_dump in snapshot \(snapshot)")
                // pg_dump reads in its own session while this one fingerprints: the same snapshot, at once.
                try checkDumpTarget(format: format, artifact: artifact)
                let exported = snapshot
                dumping = Task { try await runPgDump(parameters, snapshot: exported, format: format, into: artifact) }
            }
            let takenAt = try await session.query("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')").value()
            try await Fingerprinter.prepare(session)
            // pg_dump reads every row whatever the policies say; so must the fingerprint (an error, not fewer rows).
            _ = try await session.execute("SET row_security = off")
            let tables = try await Fingerprinter.tables(on: session, includeUnlogged: source.moment.restorePointName == nil)
            var fingerprints: [String: TableFingerprint] = [:]
            for (index, table) in tables.enumerated() {
                progress?("fingerprint \(index + 1)/\(tables.count): \(table.name)")
                fingerprints[table.name] = try await Fingerprinter.fingerprint(table.quoted, on: session)
            }
            let encoding = try await Fingerprinter.encoding(on: session)
            // The exported snapshot lives as long as this transaction: it ends after pg_dump.
            try await dumping?.value
            _ = try await session.execute("COMMIT")
            return SourceFingerprints(
                takenAt: takenAt.flatMap(TimestampText.parse), snapshot: snapshot, restorePoint: source.moment.restorePointName,
                database: parameters.database,
                encoding: encoding, tables: fingerprints)
        } catch let error as PostgresError {
            throw RestoreError(.error, step: "record", "cannot fingerprint the source database: \(error)")
        }
    }

    /// Creates restore point `name` in a snapshot no write to the tables can straddle: a second
    /// session takes SHARE locks on every table (waiting for writers in flight, holding new ones
    /// off), then, in one statement, takes its snapshot, exports it and writes the restore
    /// point. `session` (in a transaction that has not read yet) imports the snapshot before the
    /// locks go, a moment later.
    static func createRestorePoint(_ name: String, parameters: ConnectionParameters, importingInto session: PostgresConnection) async throws -> String {
        guard !name.isEmpty, name.utf8.count < 64 else {
            throw ConfigError(file: "--restore-point", message: "a restore point name has 1 to 63 bytes")
        }
        let holder: PostgresConnection
        do {
            holder = try await PostgresConnection.connect(parameters)
        } catch {
            throw RestoreError(.error, step: "record", "cannot connect to the source database: \(error)")
        }
        defer { holder.close() }
        let tables = try await Fingerprinter.tables(on: holder, includeUnlogged: false)
        _ = try await holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        _ = try await holder.execute("SET LOCAL lock_timeout = '30s'")
        if !tables.isEmpty {
            do {
                _ = try await holder.execute("LOCK TABLE \(tables.map(\.quoted).joined(separator: ", ")) IN SHARE MODE")
            } catch {
                throw RestoreError(
                    .error, step: "record",
                    "cannot hold writes off the source's tables for the restore point (SHARE locks, 30 s at most): \(error). Retry when no long write transaction runs; the role needs UPDATE, DELETE or TRUNCATE on every table")
            }
        }
        let point = try await holder.query("SELECT pg_export_snapshot(), pg_create_restore_point($1)::text", [name])
        guard let snapshot = point.value() else { throw RestoreError(.error, step: "record", "the source exported no snapshot") }
        _ = try await session.execute("SET TRANSACTION SNAPSHOT '\(snapshot)'")
        _ = try await holder.execute("COMMIT")
        return snapshot
    }

    static func resolve(_ text: String) async throws -> String {
        guard let reference = SecretReference.parse(text) else { return text }
        return try await reference.resolve()
    }

    /// `pg_dump --snapshot=ID` of the source into `artifact` (format from `format`).
    static func checkDumpTarget(format: String, artifact: String) throws {
        guard ["custom", "directory", "tar", "plain"].contains(format) else {
            throw ConfigError(file: "--dump", message: "unknown pg_dump format '\(format)'; expected custom, directory, tar or plain")
        }
        guard !FileManager.default.fileExists(atPath: artifact) else {
            throw ConfigError(file: artifact, message: "already exists: record --dump writes a new artifact and never replaces one")
        }
    }

    static func runPgDump(_ parameters: ConnectionParameters, snapshot: String, format: String, into artifact: String) async throws {
        let binaries = await ServerBinaries.installed().first { FileManager.default.isExecutableFile(atPath: $0.path("pg_dump")) }
        var invocation = ToolInvocation(
            executable: binaries?.path("pg_dump") ?? "pg_dump",
            arguments: ["--snapshot=\(snapshot)", "--format=\(format)", "--file=\(artifact)", "--dbname=\(parameters.database)"],
            displayName: "pg_dump")
        invocation.environment = parameters.libpqEnvironment
        let result = try await ProcessRunner.run(invocation)
        guard result.succeeded else {
            throw RestoreError(
                .error, step: "pg_dump",
                "pg_dump of the source failed: \(DumpInspector.firstErrorLine(result.standardError) ?? result.terminationDescription)",
                detail: result.standardError)
        }
    }
}
