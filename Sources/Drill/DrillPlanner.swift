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
        let source = BackupSources.source(for: file)
        if options.targetOverride != nil && !source.recoversToTarget {
            throw ConfigError(
                file: file.path,
                message: file.postgres.isExternal
                    ? "--target-* options need a physical backup; this drill checks an external server the provider restored"
                    : "--target-* options need a physical backup (backup.format: basebackup); this drill restores a pg_dump")
        }
        let backup = try await source.plan(file, options: options)
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
            file: file, source: backup.source, artifactPath: backup.artifactPath, metadata: backup.metadata, metadataPath: backup.metadataPath,
            backup: backup.plan, expectedSize: backup.expectedSize, expectedSHA256: backup.expectedSHA256,
            backupCreatedAt: backup.createdAt, sourceServerVersion: backup.sourceVersion, majorVersion: backup.majorVersion,
            serverBinaries: binaries, database: backup.database, checks: checks, checksLeftOut: leftOut, reportsDirectory: reportsDirectory(file, options: options),
            jobs: options.jobs ?? file.restore.jobs ?? min(4, ProcessInfo.processInfo.activeProcessorCount))
        plan.leftOutReasons = needServices
        return (plan, variables)
    }

    /// What planning learned about the backup itself.
    struct PlannedBackup {
        /// The source that planned it (and restores it).
        var source: any BackupSource
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
