import DrillSupport
import Foundation
import Provisioning
import Recovery
import Reports
import Restore

/// pgBackRest repositories (`format: pgbackrest`): `location` is the repository (`repo1-path`,
/// a posix repository), `stanza` names the cluster, `config` optionally a pgbackrest.conf.
/// Backup sets and WAL come from `pgbackrest info`; the chosen set is laid out by
/// `pgbackrest restore` inside the sandbox, where the repository is read-only; recovery reads
/// WAL with `pgbackrest archive-get`; `pgbackrest verify` is a verify case.
struct PgBackRestSource: PhysicalBackupSource {
    var formats: [String] { ["pgbackrest"] }
    var keys: [String] { ["stanza", "config"] }
    var usesRecordedChecksum: Bool { false }

    func parse(_ node: YAMLValue, format: String, into backup: inout DrillFile.Backup) throws(ConfigError) {
        backup.sourceOptions["stanza"] = try node.required("stanza", hint: "the pgBackRest stanza, e.g. main").string()
        if let config = node["config"] {
            try DrillFileParser.validateLocation(try config.string(), node: config)
            backup.sourceOptions["config"] = try config.string()
        }
        if let location = node["location"], try location.string().hasPrefix("s3://") {
            throw location.error(
                "a pgBackRest repository in S3 needs TLS, which this version does not set up; give the posix repository's path (repo1-path)")
        }
        for key in ["sha256", "size", "metadata", "encryption"] {
            if let value = node[key] { throw value.error("\(key) is not for pgBackRest: its own checksums are checked by pgbackrest verify") }
        }
    }

    func repository(_ file: DrillFile) throws -> PgBackRestRepository {
        guard let executable = ExecutableLookup.find("pgbackrest") else {
            throw ProvisionError(.binariesNotFound, "format: pgbackrest needs the pgbackrest program (apt-get install pgbackrest)")
        }
        return PgBackRestRepository(
            path: DrillPlanner.resolvePath(file.backup.location, base: file.baseDirectory), stanza: file.backup.sourceOptions["stanza"] ?? "",
            config: file.backup.sourceOptions["config"].map { DrillPlanner.resolvePath($0, base: file.baseDirectory) }, executable: executable)
    }

    func plan(_ file: DrillFile, options: DrillOptions) async throws -> DrillPlanner.PlannedBackup {
        if file.recovery.randomWithinWindow != nil {
            throw ConfigError(
                file: file.path,
                message: "recovery.target random_within_window reads commit times from plain WAL segments (format: basebackup); with format: pgbackrest give a time target")
        }
        let repository = try repository(file)
        guard FileManager.default.fileExists(atPath: repository.path) else {
            throw RestoreError(.failure, step: "fetch", "the pgBackRest repository \(repository.path) does not exist (backup.location in \(file.path))")
        }
        let user = OSUser.isRoot ? OSUser.lookup(name: file.postgres.osUser) : nil
        let stanza = try await repository.info(user: user)
        let sets = stanza.backup.filter { $0.error != true }
        guard !sets.isEmpty else {
            throw RestoreError(
                .failure, step: "fetch",
                "stanza \(repository.stanza) in \(repository.path) holds no usable backup set (\(stanza.status.message)\(stanza.backup.isEmpty ? "" : "; \(stanza.backup.count) set(s) have errors"))")
        }
        let catalog = sets.map { Self.baseBackup($0, repository: repository, clusters: stanza.db) }
        let target = options.targetOverride.map {
            RecoveryTarget(kind: $0, inclusive: file.recovery.target.inclusive, timeline: file.recovery.target.timeline)
        } ?? file.recovery.target
        let choice = try BaseBackupPlanning.choose(catalog, for: target, rule: file.backup.select ?? .latest, location: "stanza \(repository.stanza)")
        let chosen = choice.backup
        let set = sets.first { $0.label == chosen.name }!
        guard let archiveEntry = stanza.archive.first(where: { $0.database.id == set.database.id }) else {
            throw RestoreError(.failure, step: "wal archive", "stanza \(repository.stanza) has no WAL archive for backup set \(set.label)")
        }
        let archive = try repository.archive(archiveEntry.id)
        let preflight = WALPreflight.check(backup: chosen, target: target, archive: archive)
        return DrillPlanner.PlannedBackup(
            source: self, artifactPath: chosen.directory, metadata: nil, metadataPath: nil,
            plan: .physical(
                PhysicalBackupPlan(
                    catalog: catalog, choice: choice, archive: archive, preflight: preflight, target: target,
                    steps: PgBackRestRestoreSteps(repository: repository, set: set))),
            expectedSize: nil, expectedSHA256: nil, createdAt: chosen.stopTime, sourceVersion: String(chosen.majorVersion),
            majorVersion: file.postgres.version ?? chosen.majorVersion, database: file.backup.database ?? "postgres")
    }

    /// A backup set as the physical planning sees a base backup: its label, start and stop.
    static func baseBackup(_ set: PgBackRestRepository.BackupSet, repository: PgBackRestRepository, clusters: [PgBackRestRepository.Stanza.Cluster])
        -> BaseBackup
    {
        let start = LSN(set.lsn.start) ?? LSN(0)
        let version = clusters.first { $0.id == set.database.id }.map { ServerBinaries.majorVersion(of: $0.version) } ?? 0
        return BaseBackup(
            directory: "\(repository.path)/backup/\(repository.stanza)/\(set.label)", layout: .plain, manifestPath: nil,
            label: BackupLabel(
                startLSN: start, checkpointLSN: nil, startTime: Date(timeIntervalSince1970: set.timestamp.start),
                timeline: WALSegmentName(set.archive.start)?.timeline ?? 1, label: set.label, takenFrom: "pgbackrest \(set.type)"),
            majorVersion: version, stopLSN: LSN(set.lsn.stop), stopTime: Date(timeIntervalSince1970: set.timestamp.stop), size: set.info.size)
    }

    func verifyCases(_ plan: DrillPlan) async throws -> [ReportCase] {
        guard let physical = plan.physical, let steps = physical.steps as? PgBackRestRestoreSteps else { return [] }
        let user = OSUser.isRoot ? OSUser.lookup(name: plan.file.postgres.osUser) : nil
        return [
            try await Self.verifyCase(steps.repository, chosen: steps.set.label, user: user, processes: plan.jobs),
            WALContinuity.reportCase(physical),
            try await WALContinuity.accessCase(physical, osUser: plan.file.postgres.osUser),
        ]
    }

    /// `pgbackrest verify`: every backup file and WAL segment against the repository's checksums.
    /// pgBackRest 2.45 exits 0 when it finds damage ("status: error", then the sets and WAL it
    /// found invalid): the verdict is read from its summary, not from the exit status.
    static func verifyCase(_ repository: PgBackRestRepository, chosen: String, user: OSUser?, processes: Int) async throws -> ReportCase {
        let name = "pgbackrest verify"
        let start = ContinuousClock.now
        let lock = try ScratchDirectory.create(root: nil, owner: user)
        defer { _ = ScratchDirectory.remove(lock) }
        let result = try await repository.run(["--verbose", "--process-max=\(processes)", "verify"], user: user, lockPath: lock, console: "info")
        let lines = (result.standardOutput + result.standardError).split(separator: "\n").map(String.init)
        let output = lines.filter { !$0.contains("verify command begin") }.suffix(30).joined(separator: "\n")
        let seconds = (ContinuousClock.now - start).seconds
        guard result.succeeded else {
            return ReportCase(
                name: name, status: .error, seconds: seconds,
                message: "pgbackrest verify could not check stanza \(repository.stanza) of \(repository.path) (\(result.terminationDescription))", output: output)
        }
        let findings = PgBackRestVerifySummary(lines: lines)
        // Without damage 2.45 prints no summary, only that the command completed.
        guard let status = findings.stanzaStatus else {
            guard lines.contains(where: { $0.contains("verify command end: completed successfully") }) else {
                return ReportCase(name: name, status: .error, seconds: seconds, message: "pgbackrest verify said neither what it found nor that it completed", output: output)
            }
            return ReportCase(name: name, status: .passed, seconds: seconds, output: output)
        }
        if let problem = findings.problem(for: chosen) {
            return ReportCase(
                name: name, status: .failed, seconds: seconds,
                message: "pgbackrest verify found damage in stanza \(repository.stanza) of \(repository.path): \(problem). Nothing was restored.", output: output)
        }
        let note = status == "ok" ? nil : "stanza status \(status), but not in backup set \(chosen) or the WAL archive: \(findings.invalidSets.joined(separator: ", "))"
        return ReportCase(name: name, status: .passed, seconds: seconds, message: note, output: output)
    }

    func formatName(_ plan: DrillPlan) -> String {
        guard let steps = plan.physical?.steps as? PgBackRestRestoreSteps else { return "pgbackrest" }
        return "pgbackrest/\(steps.set.type)"
    }

    func summaryLines(_ plan: DrillPlan) -> (backup: [String], restore: [String]) {
        guard let physical = plan.physical, let steps = physical.steps as? PgBackRestRestoreSteps else { return ([], []) }
        var lines = BaseBackupSource().summaryLines(plan).backup
        lines[0] = "  backup:    pgBackRest \(steps.set.type) backup set \(steps.set.label) of \(physical.catalog.count) in stanza \(steps.repository.stanza) of \(steps.repository.path)"
        return (lines, ["  restore:   pgbackrest restore --set \(steps.set.label) inside the sandbox (repository read-only); WAL through pgbackrest archive-get", "  checks in: database \(plan.database)"])
    }

    func backupFolders(_ plan: DrillPlan) -> [String] {
        [(try? repository(plan.file).path) ?? plan.artifactPath]
    }

    func checkEnvironment(_ plan: DrillPlan) -> [String: String] { ["DRILL_BACKUP_FORMAT": "pgbackrest"] }
}
