import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// Planning a physical backup: the base backups in the location, the one chosen for the
/// target, the WAL archive and which segments replay needs.
enum BaseBackupPlanning {
    static func plan(_ file: DrillFile, options: DrillOptions, source: BaseBackupSource) async throws -> DrillPlanner.PlannedBackup {
        let location = DrillPlanner.resolvePath(file.backup.location, base: file.baseDirectory)
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
        let archive = try WALArchive.list(directory: DrillPlanner.resolvePath(archiveLocation, base: file.baseDirectory))
        let catalog = try await BaseBackupCatalog.discover(location: location, archive: archive)
        let target = options.targetOverride.map {
            RecoveryTarget(kind: $0, inclusive: file.recovery.target.inclusive, timeline: file.recovery.target.timeline)
        } ?? file.recovery.target
        let choice = try BackupSelection.choose(catalog, for: target, named: file.backup.select)
        let chosen = choice.backup
        let preflight = WALPreflight.check(backup: chosen, target: target, archive: archive)
        let metadataPath = file.backup.metadata.map { DrillPlanner.resolvePath($0, base: file.baseDirectory) } ?? BackupMetadata.sidecarPath(for: chosen.directory)
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
            plan: .physical(PhysicalBackupPlan(catalog: catalog, choice: choice, archive: archive, preflight: preflight, target: target)),
            expectedSize: expectedSize, expectedSHA256: expectedSHA256, createdAt: chosen.stopTime ?? chosen.label.startTime,
            sourceVersion: String(chosen.majorVersion), majorVersion: file.postgres.version ?? chosen.majorVersion,
            database: file.backup.database ?? "postgres")
    }

}
