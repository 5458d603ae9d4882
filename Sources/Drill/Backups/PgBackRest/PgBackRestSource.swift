import DrillSupport
import Foundation
import Provisioning
import Recovery
import Reports
import Restore

/// pgBackRest repositories (`format: pgbackrest`): `location` is the repository (`repo1-path`
/// of a posix repository, or `s3://BUCKET/REPO-PATH` with the drill file's S3 settings),
/// `stanza` names the cluster, `config` optionally a pgbackrest.conf.
/// Backup sets and WAL come from `pgbackrest info`; the chosen set is laid out by
/// `pgbackrest restore` inside the sandbox, where the repository is read-only; recovery reads
/// WAL with `pgbackrest archive-get`; `pgbackrest verify` is a verify case.
struct PgBackRestSource: PhysicalBackupSource {
    var formats: [String] { ["pgbackrest"] }
    var keys: [String] { ["stanza", "config"] }
    var usesRecordedChecksum: Bool { false }
    var readsS3: Bool { true }

    func parse(_ node: YAMLValue, format: String, into backup: inout DrillFile.Backup) throws(ConfigError) {
        backup.sourceOptions["stanza"] = try node.required("stanza", hint: "the pgBackRest stanza, e.g. main").string()
        if let config = node["config"] {
            try DrillFileParser.validateLocation(try config.string(), node: config)
            backup.sourceOptions["config"] = try config.string()
        }
        for key in ["sha256", "size", "metadata", "encryption"] {
            if let value = node[key] { throw value.error("\(key) is not for pgBackRest: its own checksums are checked by pgbackrest verify") }
        }
    }

    func repository(_ file: DrillFile) throws -> PgBackRestRepository {
        guard let executable = ExecutableLookup.find("pgbackrest") else {
            throw ProvisionError(.binariesNotFound, "format: pgbackrest needs the pgbackrest program (apt-get install pgbackrest)")
        }
        let inBucket = file.backup.location.hasPrefix("s3://")
        return PgBackRestRepository(
            path: inBucket ? file.backup.location : DrillPlanner.resolvePath(file.backup.location, base: file.baseDirectory),
            stanza: file.backup.sourceOptions["stanza"] ?? "",
            config: file.backup.sourceOptions["config"].map { DrillPlanner.resolvePath($0, base: file.baseDirectory) }, executable: executable,
            s3Location: inBucket ? file.backup.location : nil)
    }

    func plan(_ file: DrillFile, options: DrillOptions) async throws -> DrillPlanner.PlannedBackup {
        if file.recovery.randomWithinWindow != nil {
            throw ConfigError(
                file: file.path,
                message: "recovery.target random_within_window reads commit times from plain WAL segments (format: basebackup); with format: pgbackrest give a time target")
        }
        var repository = try repository(file)
        if repository.isS3 {
            repository.s3Environment = try await PgBackRestS3.environment(location: file.backup.location, settings: file.backup.s3, file: file.path)
            repository.path = repository.s3Environment["PGBACKREST_REPO1_PATH"] ?? "/"
        } else if !FileManager.default.fileExists(atPath: repository.path) {
            throw RestoreError(.failure, step: "fetch", "the pgBackRest repository \(repository.path) does not exist (backup.location in \(file.path))")
        }
        let user = OSUser.isRoot ? OSUser.lookup(name: file.postgres.osUser) : nil
        let stanza = try await repository.info(user: user)
        let sets = stanza.backup.filter { $0.error != true }
        guard !sets.isEmpty else {
            throw RestoreError(
                .failure, step: "fetch",
                "stanza \(repository.stanza) in \(repository.locationDescription) holds no usable backup set (\(stanza.status.message)\(stanza.backup.isEmpty ? "" : "; \(stanza.backup.count) set(s) have errors"))")
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
        var histories: [String] = []
        let archive: WALArchive
        if repository.isS3 {
            (archive, histories) = try await PgBackRestS3.archive(repository, archiveID: archiveEntry.id, user: user)
        } else {
            archive = try repository.archive(archiveEntry.id)
        }
        let preflight = WALPreflight.check(backup: chosen, target: target, archive: archive)
        return DrillPlanner.PlannedBackup(
            source: self, artifactPath: chosen.directory, metadata: nil, metadataPath: nil,
            plan: .physical(
                PhysicalBackupPlan(
                    catalog: catalog, choice: choice, archive: archive, preflight: preflight, target: target,
                    steps: PgBackRestRestoreSteps(repository: repository, set: set, histories: histories))),
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
            directory: "\(repository.locationDescription)/backup/\(repository.stanza)/\(set.label)", layout: .plain, manifestPath: nil,
            label: BackupLabel(
                startLSN: start, checkpointLSN: nil, startTime: Date(timeIntervalSince1970: set.timestamp.start),
                timeline: WALSegmentName(set.archive.start)?.timeline ?? 1, label: set.label, takenFrom: "pgbackrest \(set.type)"),
            majorVersion: version, stopLSN: LSN(set.lsn.stop), stopTime: Date(timeIntervalSince1970: set.timestamp.stop), size: set.info.size)
    }

    func verifyCases(_ plan: DrillPlan) async throws -> [ReportCase] {
        guard let physical = plan.physical, let steps = physical.steps as? PgBackRestRestoreSteps else { return [] }
        let user = OSUser.isRoot ? OSUser.lookup(name: plan.file.postgres.osUser) : nil
        var cases = [
            try await Self.verifyCase(steps.repository, chosen: steps.set.label, user: user, processes: plan.jobs),
            WALContinuity.reportCase(physical),
        ]
        // A posix archive is read by the server's account; an S3 one by pgBackRest with the drill's credentials.
        if !steps.repository.isS3 { cases.append(try await WALContinuity.accessCase(physical, osUser: plan.file.postgres.osUser)) }
        return cases
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
                message: "pgbackrest verify could not check stanza \(repository.stanza) of \(repository.locationDescription) (\(result.terminationDescription))", output: output)
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
                message: "pgbackrest verify found damage in stanza \(repository.stanza) of \(repository.locationDescription): \(problem). Nothing was restored.", output: output)
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
        lines[0] = "  backup:    pgBackRest \(steps.set.type) backup set \(steps.set.label) of \(physical.catalog.count) in stanza \(steps.repository.stanza) of \(steps.repository.locationDescription)"
        let restore = steps.repository.isS3
            ? "  restore:   pgbackrest restore --set \(steps.set.label), then the WAL replay needs with pgbackrest archive-get, both with the sandbox's read-only file systems and the host's network; the server itself has no network"
            : "  restore:   pgbackrest restore --set \(steps.set.label) inside the sandbox (repository read-only); WAL through pgbackrest archive-get"
        return (lines, [restore, "  checks in: database \(plan.database)"])
    }

    func backupFolders(_ plan: DrillPlan) -> [String] {
        guard let repository = try? repository(plan.file) else { return [plan.artifactPath] }
        return repository.isS3 ? [] : [repository.path]
    }

    func checkEnvironment(_ plan: DrillPlan) -> [String: String] { ["DRILL_BACKUP_FORMAT": "pgbackrest"] }
}
