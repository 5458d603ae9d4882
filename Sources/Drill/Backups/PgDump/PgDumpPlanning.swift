import DrillSupport
import Foundation
import Provisioning
import Restore

/// Planning a logical backup: the artifact (and its parts) exist, what was recorded about it,
/// what it is (format, compression, version, whether it makes its own database).
enum PgDumpPlanning {
    static func plan(_ file: DrillFile, source: PgDumpSource) async throws -> DrillPlanner.PlannedBackup {
        var logicalPlan = LogicalBackupPlan(inspection: ArtifactInspection(compression: .none, format: .plain, header: DumpHeader()))
        var artifactPath = DrillPlanner.resolvePath(file.backup.location, base: file.baseDirectory)
        if file.backup.format == "supabase_cli" {
            let parts = try supabaseParts(file, location: artifactPath)
            artifactPath = parts.schema
            logicalPlan.rolesFile = parts.roles
            logicalPlan.platformFile = parts.platform
            logicalPlan.dataFile = parts.data
        } else {
            logicalPlan.rolesFile = file.backup.roles.map { DrillPlanner.resolvePath($0, base: file.baseDirectory) }
            let pattern = LocationPattern.parse(file.backup.location.hasPrefix("s3://") ? file.backup.location : artifactPath)
            if pattern.bucketURL != nil || pattern.namesSeveral || file.backup.encryption != nil {
                let located = try await BackupLocating.locate(file, pattern: pattern)
                logicalPlan.located = located
                if located.needsFetch { return try planBeforeFetch(file, located, logicalPlan, source: source) }
                artifactPath = located.artifact.reference
            }
        }
        guard FileManager.default.fileExists(atPath: artifactPath) else {
            throw RestoreError(
                .failure, step: "fetch",
                "the backup artifact \(artifactPath) does not exist (backup.location in \(file.path)). The backup was not written, or was moved or deleted.")
        }
        for part in logicalPlan.partFiles where !FileManager.default.fileExists(atPath: part) {
            throw RestoreError(
                .failure, step: "fetch", "\(part), a file of this backup named in \(file.path), does not exist. The backup is incomplete, or was moved.")
        }
        let (metadata, metadataPath) = try DrillPlanner.loadMetadata(file, artifactPath: artifactPath)
        let (expectedSize, expectedSHA256) = try DrillPlanner.expectations(file, metadata: metadata, metadataPath: metadataPath)
        return try await inspect(file, artifactPath: artifactPath, metadata: metadata, metadataPath: metadataPath, logicalPlan, source: source,
            expectedSize: expectedSize, expectedSHA256: expectedSHA256)
    }

    /// What the (local, plaintext) artifact is: from the metadata when it says, else from the file.
    static func inspect(
        _ file: DrillFile, artifactPath: String, metadata: BackupMetadata?, metadataPath: String?, _ logicalPlan: LogicalBackupPlan,
        source: PgDumpSource, expectedSize: Int64?, expectedSHA256: String?
    ) async throws -> DrillPlanner.PlannedBackup {
        var logicalPlan = logicalPlan
        let inspection: ArtifactInspection
        if let metadata, metadata.serverVersion != nil, let format = metadata.dumpFormat {
            var header = DumpHeader(serverVersion: metadata.serverVersion, database: metadata.database, createdAt: metadata.createdAt)
            // Whether a plain dump makes its own database is in its text, not in the sidecar.
            if format == .plain { header.createsDatabase = try await DumpInspector.plainHeader(path: artifactPath, compression: metadata.compression).createsDatabase }
            inspection = ArtifactInspection(compression: metadata.compression, format: format, header: header)
        } else {
            inspection = try await DumpInspector.inspect(path: artifactPath, pgRestore: await DrillPlanner.anyPgRestore())
        }
        if file.backup.format == "pg_dumpall", inspection.format != .cluster {
            throw RestoreError(
                .failure, step: "format",
                "backup.format is pg_dumpall, but \(artifactPath) is a pg_dump \(inspection.format.rawValue) dump, not a pg_dumpall file; set format: pg_dump")
        }
        if file.backup.format == "supabase_cli", inspection.format != .plain {
            throw RestoreError(.failure, step: "format", "\(artifactPath), the schema part of a supabase_cli backup, is not a plain SQL dump (\(inspection.format.rawValue))")
        }
        logicalPlan.inspection = inspection
        let sourceVersion = inspection.header.serverVersion
        guard let major = file.postgres.version ?? sourceVersion.map(ServerBinaries.majorVersion(of:)) else {
            throw ConfigError(
                file: file.path,
                message: "cannot tell which PostgreSQL version the backup needs (no metadata, no version in the dump header); set postgres.version")
        }
        return DrillPlanner.PlannedBackup(
            source: source,
            artifactPath: artifactPath, metadata: metadata, metadataPath: metadataPath,
            plan: .logical(logicalPlan), expectedSize: expectedSize, expectedSHA256: expectedSHA256,
            createdAt: metadata?.createdAt ?? inspection.header.createdAt, sourceVersion: sourceVersion, majorVersion: major,
            database: file.backup.database ?? inspection.header.database ?? inspection.header.createsDatabase ?? metadata?.database
                ?? (file.backup.format == "supabase_cli" || inspection.format == .cluster ? "postgres" : "restored"))
    }

    /// The files of a supabase_cli backup: `parts:` (against the drill file), else the CLI's
    /// usual names in the `location` folder (data.sql and roles.sql only when they are there).
    static func supabaseParts(_ file: DrillFile, location: String) throws -> (roles: String?, platform: String?, schema: String, data: String?) {
        if let parts = file.backup.parts {
            let resolve = { (path: String) in DrillPlanner.resolvePath(path, base: file.baseDirectory) }
            return (parts.roles.map(resolve), parts.platform.map(resolve), resolve(parts.schema), parts.data.map(resolve))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(
                file: file.path,
                message: "a supabase_cli backup's location is the folder holding roles.sql, schema.sql and data.sql (\(location) is not a folder); or name each file in backup.parts")
        }
        let present = { (name: String) -> String? in
            let path = location + "/" + name
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        return (present("roles.sql"), present("platform.sql"), location + "/schema.sql", present("data.sql"))
    }


    /// A backup that must be fetched (from S3, or decrypted) first: planned from what was
    /// recorded about it; the fetched file is inspected before anything is restored.
    static func planBeforeFetch(_ file: DrillFile, _ located: LocatedBackup, _ logicalPlan: LogicalBackupPlan, source: PgDumpSource) throws
        -> DrillPlanner.PlannedBackup
    {
        let metadata = located.metadata
        let (expectedSize, expectedSHA256) = try DrillPlanner.expectations(file, metadata: metadata, metadataPath: located.metadataURL)
        var logicalPlan = logicalPlan
        if let metadata, let format = metadata.dumpFormat {
            logicalPlan.inspection = ArtifactInspection(
                compression: metadata.compression, format: format,
                header: DumpHeader(serverVersion: metadata.serverVersion, database: metadata.database, createdAt: metadata.createdAt))
        }
        logicalPlan.inspectedAfterFetch = true
        guard let major = file.postgres.version ?? metadata?.serverVersion.map(ServerBinaries.majorVersion(of:)) else {
            throw ConfigError(
                file: file.path,
                message: "cannot tell which PostgreSQL version \(located.url) needs before fetching it: no metadata was recorded beside it (\(located.url).restore-drill.json, written by restore-drill record); record it, or set postgres.version")
        }
        return DrillPlanner.PlannedBackup(
            source: source, artifactPath: located.url, metadata: metadata, metadataPath: located.metadataURL,
            plan: .logical(logicalPlan), expectedSize: expectedSize, expectedSHA256: expectedSHA256,
            createdAt: metadata?.createdAt ?? located.choice?.candidate.time, sourceVersion: metadata?.serverVersion, majorVersion: major,
            database: file.backup.database ?? metadata?.database ?? "restored")
    }
}
