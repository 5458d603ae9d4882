import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// Planning a physical backup: the base backups in the location, the one chosen for the
/// target, the WAL archive and which segments replay needs.
enum BaseBackupPlanning {
    static func plan(_ file: DrillFile, options: DrillOptions, source: BaseBackupSource) async throws -> DrillPlanner.PlannedBackup {
        let location = file.backup.location.hasPrefix("s3://") ? file.backup.location : DrillPlanner.resolvePath(file.backup.location, base: file.baseDirectory)
        if !location.hasPrefix("s3://"), !FileManager.default.fileExists(atPath: location) {
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
        let (catalog, archive, remote) = try await RemoteBaseBackups.discover(
            file, location: location,
            archive: archiveLocation.hasPrefix("s3://") ? archiveLocation : DrillPlanner.resolvePath(archiveLocation, base: file.baseDirectory))
        var target = options.targetOverride.map {
            RecoveryTarget(kind: $0, inclusive: file.recovery.target.inclusive, timeline: file.recovery.target.timeline)
        } ?? file.recovery.target
        var choice = try choose(catalog, for: target, rule: file.backup.select ?? .latest, location: location)
        let chosen = choice.backup
        var preflight = WALPreflight.check(backup: chosen, target: target, archive: archive)
        if file.recovery.randomWithinWindow != nil, options.targetOverride == nil, remote?.archiveFolder != nil {
            // pg_waldump reads local files: the window is known once the archive is fetched.
            choice.reason += "; the target is drawn at random once the WAL archive is fetched (it is read for its last commit)"
        } else if let random = file.recovery.randomWithinWindow, options.targetOverride == nil {
            target = try await drawTarget(file, random, backup: chosen, preflight: preflight, archive: archive, choice: &choice)
            preflight = WALPreflight.check(backup: chosen, target: target, archive: archive)
        }
        let sidecar = remote?.backupFolder == nil ? BackupMetadata.sidecarPath(for: chosen.directory) : ""
        let metadataPath = file.backup.metadata.map { DrillPlanner.resolvePath($0, base: file.baseDirectory) } ?? sidecar
        let metadata = FileManager.default.fileExists(atPath: metadataPath) ? try BackupMetadata.load(path: metadataPath) : nil
        if catalog.count > 1, file.backup.sha256 != nil || file.backup.size != nil {
            throw ConfigError(
                file: file.path,
                message: "backup.sha256/size name one artifact, but \(location) holds \(catalog.count) base backups; record each with restore-drill record DIR instead")
        }
        let (expectedSize, expectedSHA256) = try DrillPlanner.expectations(file, metadata: metadata, metadataPath: metadataPath)
        return DrillPlanner.PlannedBackup(
            source: source,
            artifactPath: chosen.directory, metadata: metadata, metadataPath: metadata == nil ? nil : metadataPath,
            plan: .physical(
                PhysicalBackupPlan(
                    catalog: catalog, choice: choice, archive: archive, preflight: preflight, target: target,
                    steps: BaseBackupRestoreSteps(backup: chosen), remote: remote)),
            expectedSize: expectedSize, expectedSHA256: expectedSHA256, createdAt: chosen.stopTime ?? chosen.label.startTime,
            sourceVersion: String(chosen.majorVersion), majorVersion: file.postgres.version ?? chosen.majorVersion,
            database: file.backup.database ?? "postgres")
    }


    /// The base backup for the target under `backup.select`: a window first keeps only the
    /// backups taken inside it (none is a failure: the RPO is breached), then the target
    /// picks the newest that can reach it, or the rule picks one at random or by name.
    static func choose(_ catalog: [BaseBackup], for target: RecoveryTarget, rule: BackupChoiceRule, location: String) throws -> BackupSelection.Choice {
        let candidates = catalog.map { BackupCandidate(name: $0.name, time: $0.stopTime ?? $0.label.startTime, timeSource: "finished") }
        switch rule {
        case .latest: return try BackupSelection.choose(catalog, for: target)
        case .named(let name): return try BackupSelection.choose(catalog, for: target, named: name)
        case .latestWithin(let window):
            let inside = try CandidateSelection.within(window, candidates, now: Date(), what: location)
            let names = Set(inside.map(\.name))
            var choice = try BackupSelection.choose(catalog.filter { names.contains($0.name) }, for: target)
            choice.reason += ", among the \(inside.count) taken within \(DrillDuration.format(window))"
            return choice
        case .randomWithin:
            // Only a backup that finished before a time or LSN target can reach it.
            let reaching = catalog.filter { backup in
                switch target.kind {
                case .time(let time): return (backup.stopTime ?? backup.label.startTime ?? .distantFuture).addingTimeInterval(1) <= time
                case .lsn(let lsn): return (backup.stopLSN ?? backup.label.startLSN) <= lsn
                default: return true
                }
            }.map(\.name)
            let picked = try CandidateSelection.choose(candidates.filter { reaching.contains($0.name) }, rule: rule, now: Date(), what: location)
            var choice = try BackupSelection.choose(catalog, for: target, named: picked.candidate.name)
            choice.reason = picked.reason
            return choice
        }
    }

    /// `recovery.target: random_within_window`: a time drawn with the seed between the end of
    /// the chosen backup and the last commit in the archive, so a scheduled drill proves, over
    /// time, points throughout the window rather than only its end.
    static func drawTarget(
        _ file: DrillFile, _ random: DrillFile.Recovery.RandomWindow, backup: BaseBackup, preflight: WALPreflight, archive: WALArchive,
        choice: inout BackupSelection.Choice
    ) async throws -> RecoveryTarget {
        guard let start = backup.stopTime ?? backup.label.startTime else {
            throw ConfigError(file: file.path, message: "base backup \(backup.name) has no recorded end time: random_within_window cannot place its window; give a time target")
        }
        let binaries = try await ServerBinaries.locate(major: file.postgres.version ?? backup.majorVersion, explicitDirectory: file.postgres.binDirectory)
        let user = OSUser.isRoot ? OSUser.lookup(name: file.postgres.osUser) : nil
        guard let end = try await WALCoverage.lastCommit(first: preflight.first, last: preflight.last, archive: archive, binaries: binaries, user: user),
            end > start
        else {
            throw RestoreError(
                .failure, step: "random target",
                "the WAL archive holds no commit after base backup \(backup.name) ended (\(TimestampText.postgres(start))): there is no window to draw a target from, so nothing after the backup can be recovered")
        }
        // A second past the backup's end: stop times are known to the second (see BackupSelection).
        let from = start.addingTimeInterval(1) < end ? start.addingTimeInterval(1) : start
        let seed = random.seed ?? UInt64.random(in: 1...UInt64(Int64.max))
        let time = WALCoverage.draw(from: from, to: end, seed: seed)
        choice.reason += "; target drawn at random (seed \(seed)\(random.seed == nil ? ", chosen by this drill: set recovery.target {random_within_window: {seed: \(seed)}} to draw it again" : "")) in the window \(TimestampText.postgres(from)) … \(TimestampText.postgres(end)) (the last commit in the archive): \(TimestampText.postgres(time))"
        return RecoveryTarget(kind: .time(time), inclusive: true, timeline: file.recovery.target.timeline)
    }
}
