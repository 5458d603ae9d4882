import Checks
import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// Turns a drill file into a plan: locates and inspects the artifact, reads what was recorded
/// about it, resolves secrets, loads checks and finds server binaries. Restores nothing.
public enum DrillPlanner {
    /// Plans a drill. Throws `ConfigError`, `SecretError` or `SelectionError` (exit 2), `RestoreError` or `ProvisionError`.
    public static func plan(_ file: DrillFile, options: DrillOptions) async throws -> (DrillPlan, resolved: ResolvedVariables) {
        if options.targetOverride != nil && !file.backup.isPhysical {
            throw ConfigError(
                file: file.path,
                message: file.postgres.isExternal
                    ? "--target-* options need a physical backup; this drill checks an external server the provider restored"
                    : "--target-* options need a physical backup (backup.format: basebackup); this drill restores a pg_dump")
        }
        let backup: PlannedBackup
        if file.postgres.isExternal {
            backup = try await ExternalPlanning.plan(file)
        } else {
            backup = file.backup.isPhysical ? try await planPhysical(file, options: options) : try await planLogical(file)
        }
        let binaries: ServerBinaries
        if file.postgres.isExternal {
            binaries = try await ExternalPlanning.clientBinaries(major: backup.majorVersion, explicitDirectory: file.postgres.binDirectory)
        } else if let container = file.postgres.container, container.clientTools != .local {
            // The image brings the server and, when this machine lacks them, the restore tools;
            // checks use the nearest installed client programs.
            if let exact = try? await ServerBinaries.locate(major: backup.majorVersion, explicitDirectory: file.postgres.binDirectory) {
                binaries = exact
            } else if let near = try? await ExternalPlanning.clientBinaries(major: backup.majorVersion, explicitDirectory: nil) {
                binaries = near
            } else {
                binaries = ServerBinaries(directory: "", majorVersion: backup.majorVersion, version: "\(backup.majorVersion) (in \(container.image(major: backup.majorVersion)))")
            }
        } else {
            binaries = try await ServerBinaries.locate(major: backup.majorVersion, explicitDirectory: file.postgres.binDirectory)
        }
        let variables = try await ResolvedVariables.resolve(file.variables)
        var (checks, leftOut) = try select(try loadChecks(file, options: options), options: options)
        let needServices = try validateVariables(checks, services: file.services, variables: variables, path: file.path)
        leftOut += checks.filter { needServices[$0.id] != nil }
        checks.removeAll { needServices[$0.id] != nil }
        var plan = DrillPlan(
            file: file, artifactPath: backup.artifactPath, metadata: backup.metadata, metadataPath: backup.metadataPath,
            backup: backup.plan, expectedSize: backup.expectedSize, expectedSHA256: backup.expectedSHA256,
            backupCreatedAt: backup.createdAt, sourceServerVersion: backup.sourceVersion, majorVersion: backup.majorVersion,
            serverBinaries: binaries, database: backup.database, checks: checks, checksLeftOut: leftOut, reportsDirectory: reportsDirectory(file, options: options),
            jobs: options.jobs ?? file.restore.jobs ?? min(4, ProcessInfo.processInfo.activeProcessorCount))
        plan.leftOutReasons = needServices
        return (plan, variables)
    }

    /// What planning learned about the backup itself.
    struct PlannedBackup {
        var artifactPath: String
        var metadata: BackupMetadata?
        var metadataPath: String?
        var plan: BackupPlan
        var expectedSize: Int64?
        var expectedSHA256: String?
        var createdAt: Date?
        var sourceVersion: String?
        var majorVersion: Int
        var database: String
    }

    static func planLogical(_ file: DrillFile) async throws -> PlannedBackup {
        var logicalPlan = LogicalBackupPlan(inspection: ArtifactInspection(compression: .none, format: .plain, header: DumpHeader()))
        var artifactPath = resolvePath(file.backup.location, base: file.baseDirectory)
        if file.backup.format == "supabase_cli" {
            let parts = try supabaseParts(file, location: artifactPath)
            artifactPath = parts.schema
            logicalPlan.rolesFile = parts.roles
            logicalPlan.platformFile = parts.platform
            logicalPlan.dataFile = parts.data
        } else {
            logicalPlan.rolesFile = file.backup.roles.map { resolvePath($0, base: file.baseDirectory) }
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
        let (metadata, metadataPath) = try loadMetadata(file, artifactPath: artifactPath)
        let (expectedSize, expectedSHA256) = try expectations(file, metadata: metadata, metadataPath: metadataPath)
        let inspection: ArtifactInspection
        if let metadata, metadata.serverVersion != nil, let format = metadata.dumpFormat {
            var header = DumpHeader(serverVersion: metadata.serverVersion, database: metadata.database, createdAt: metadata.createdAt)
            // Whether a plain dump makes its own database is in its text, not in the sidecar.
            if format == .plain { header.createsDatabase = try await DumpInspector.plainHeader(path: artifactPath, compression: metadata.compression).createsDatabase }
            inspection = ArtifactInspection(compression: metadata.compression, format: format, header: header)
        } else {
            inspection = try await DumpInspector.inspect(path: artifactPath, pgRestore: await anyPgRestore())
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
        return PlannedBackup(
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
            let resolve = { (path: String) in resolvePath(path, base: file.baseDirectory) }
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

    static func planPhysical(_ file: DrillFile, options: DrillOptions) async throws -> PlannedBackup {
        let location = resolvePath(file.backup.location, base: file.baseDirectory)
        guard FileManager.default.fileExists(atPath: location) else {
            throw RestoreError(.failure, step: "fetch", "the base backup location \(location) does not exist (backup.location in \(file.path))")
        }
        if !file.postgres.preload.isEmpty {
            throw ConfigError(
                file: file.path,
                message:
                    "postgres.preload is for logical restores; a physical restore keeps production's shared_preload_libraries (those not installed here are dropped) and allows schedulers among them with recovery.allow_preload: [\(file.postgres.preload.joined(separator: ", "))]")
        }
        guard let archiveLocation = file.backup.walArchive else {
            throw ConfigError(file: file.path, message: "backup.wal_archive is required for a physical backup: recovery reads WAL from it")
        }
        let archive = try WALArchive.list(directory: resolvePath(archiveLocation, base: file.baseDirectory))
        let catalog = try await BaseBackupCatalog.discover(location: location, archive: archive)
        let target = options.targetOverride.map {
            RecoveryTarget(kind: $0, inclusive: file.recovery.target.inclusive, timeline: file.recovery.target.timeline)
        } ?? file.recovery.target
        let choice = try BackupSelection.choose(catalog, for: target, named: file.backup.select)
        let chosen = choice.backup
        let preflight = WALPreflight.check(backup: chosen, target: target, archive: archive)
        let metadataPath = file.backup.metadata.map { resolvePath($0, base: file.baseDirectory) } ?? BackupMetadata.sidecarPath(for: chosen.directory)
        let metadata = FileManager.default.fileExists(atPath: metadataPath) ? try BackupMetadata.load(path: metadataPath) : nil
        if catalog.count > 1, file.backup.sha256 != nil || file.backup.size != nil {
            throw ConfigError(
                file: file.path,
                message: "backup.sha256/size name one artifact, but \(location) holds \(catalog.count) base backups; record each with restore-drill record DIR instead")
        }
        let (expectedSize, expectedSHA256) = try expectations(file, metadata: metadata, metadataPath: metadataPath)
        return PlannedBackup(
            artifactPath: chosen.directory, metadata: metadata, metadataPath: metadata == nil ? nil : metadataPath,
            plan: .physical(PhysicalBackupPlan(catalog: catalog, choice: choice, archive: archive, preflight: preflight, target: target)),
            expectedSize: expectedSize, expectedSHA256: expectedSHA256, createdAt: chosen.stopTime ?? chosen.label.startTime,
            sourceVersion: String(chosen.majorVersion), majorVersion: file.postgres.version ?? chosen.majorVersion,
            database: file.backup.database ?? "postgres")
    }

    /// `--reports` (relative to the current directory), else the drill file's `reports.dir`
    /// (relative to the file), else `reports` in the current directory; always absolute.
    static func reportsDirectory(_ file: DrillFile, options: DrillOptions) -> String {
        let chosen = options.reportsDirectory ?? file.reportsDirectory.map { resolvePath($0, base: file.baseDirectory) } ?? "reports"
        return resolvePath(chosen, base: FileManager.default.currentDirectoryPath)
    }

    /// `file:///x` → `/x`; relative paths are taken from the drill file's directory.
    static func resolvePath(_ location: String, base: String) -> String {
        var path = location
        if location.hasPrefix("file://") {
            path = URL(string: location)?.path ?? String(location.dropFirst("file://".count))
        }
        if !path.hasPrefix("/") { path = base + "/" + path }
        return (path as NSString).standardizingPath
    }

    static func loadMetadata(_ file: DrillFile, artifactPath: String) throws(ConfigError) -> (BackupMetadata?, String?) {
        if let explicit = file.backup.metadata {
            let path = resolvePath(explicit, base: file.baseDirectory)
            return (try BackupMetadata.load(path: path), path)
        }
        let sidecar = BackupMetadata.sidecarPath(for: artifactPath)
        guard FileManager.default.fileExists(atPath: sidecar) else { return (nil, nil) }
        return (try BackupMetadata.load(path: sidecar), sidecar)
    }

    static func expectations(_ file: DrillFile, metadata: BackupMetadata?, metadataPath: String?) throws(ConfigError) -> (Int64?, String?) {
        if let inline = file.backup.sha256, let recorded = metadata?.sha256, inline != recorded.lowercased() {
            throw ConfigError(
                file: file.path,
                message: "backup.sha256 (\(inline)) disagrees with \(metadataPath ?? "the metadata") (\(recorded)); keep one of them")
        }
        return (file.backup.size ?? metadata?.size, file.backup.sha256 ?? metadata?.sha256.lowercased())
    }

    /// The newest installed `pg_restore` (a newer one reads older archives), else the one on PATH.
    static func anyPgRestore() async -> String { await LogicalRestore.hostPgRestore() }

    static func loadChecks(_ file: DrillFile, options: DrillOptions) throws(ConfigError) -> [CheckDefinition] {
        var checks: [CheckDefinition] = []
        for reference in file.checks {
            checks += try CheckLocator.load(
                reference.entry, base: file.baseDirectory, searchPaths: options.checkSearchPaths
            ) { message in ConfigError(file: file.path, line: reference.line, column: reference.column, message: message) }
        }
        var seen: [String: String] = [:]
        for check in checks {
            if let first = seen[check.id] {
                throw ConfigError(file: check.file, message: "check id '\(check.id)' is also used in \(first); ids must be unique in a drill")
            }
            seen[check.id] = check.file
        }
        try CheckLoader.validateOrder(checks)
        return checks
    }

    /// Splits checks into those `--only`/`--skip` select and those they leave out.
    static func select(_ checks: [CheckDefinition], options: DrillOptions) throws(ConfigError) -> (run: [CheckDefinition], leftOut: [CheckDefinition]) {
        for selector in options.only + options.skip where !checks.contains(where: { $0.matches(selector) }) {
            throw ConfigError(file: "--only/--skip", message: "'\(selector)' matches no check id, tag or pack of this drill")
        }
        let chosen = checks.filter { check in
            (options.only.isEmpty || options.only.contains(where: check.matches)) && !options.skip.contains(where: check.matches)
        }
        let chosenIDs = Set(chosen.map(\.id))
        return (chosen, checks.filter { !chosenIDs.contains($0.id) })
    }

    /// Every variable a check or a service refers to must be a drill variable or one a service
    /// provides. A check that needs a service the drill does not start (a pack's HTTP checks) is
    /// left out with the reason, returned by check id; any other unknown variable is an error.
    static func validateVariables(
        _ checks: [CheckDefinition], services: [ServiceDefinition], variables: ResolvedVariables, path: String
    ) throws(ConfigError) -> [String: String] {
        let provided = Set(services.flatMap(\.providedVariables))
        let known = { (name: String) in variables.values[name] != nil || provided.contains(name) }
        var needServices: [String: String] = [:]
        for check in checks {
            for name in check.kind.variableNames where !known(name) {
                let parts = name.split(separator: ".")
                if parts.count == 3, parts[0] == "service", parts[2] == "url" || parts[2] == "port" {
                    needServices[check.id] = "needs the service '\(parts[1])', which this drill does not start (see services: in docs/drill-file.md)"
                    continue
                }
                throw ConfigError(
                    file: check.file,
                    message: "check '\(check.id)' uses the variable '\(name)', which the drill file's variables: do not define")
            }
        }
        for service in services {
            for name in service.variableNames where variables.values[name] == nil && !service.providedVariables.contains(name) {
                throw ConfigError(file: path, message: "service '\(service.name)' uses the variable '\(name)', which the drill file's variables: do not define")
            }
        }
        return needServices
    }
}

/// Drill variables with secrets resolved (and registered for masking).
public struct ResolvedVariables: Sendable {
    /// Values by name.
    public var values: [String: String]

    static func resolve(_ variables: [String: DrillFile.Variable]) async throws -> ResolvedVariables {
        var values: [String: String] = [:]
        for (name, variable) in variables {
            switch variable {
            case .value(let value): values[name] = value
            case .secret(let reference): values[name] = try await reference.resolve()
            }
        }
        return ResolvedVariables(values: values)
    }
}
