import DrillSupport
import Foundation
import Provisioning
import Reports
import Restore

/// Physical backups: `pg_basebackup` output (plain or tar, compressed or not; one or a folder
/// of several) with a WAL archive, laid out as a data directory and recovered to a target.
struct BaseBackupSource: PhysicalBackupSource {
    var formats: [String] { ["basebackup"] }
    var keys: [String] { ["wal_archive", "roles"] }
    var readsS3: Bool { true }

    func parse(_ node: YAMLValue, format: String, into backup: inout DrillFile.Backup) throws(ConfigError) {
        if let roles = node["roles"] { throw roles.error("a physical backup holds its roles itself") }
        if let archive = node["wal_archive"] {
            try DrillFileParser.validateLocation(try archive.string(), node: archive, allowS3: true)
            backup.walArchive = try archive.string()
        }
        if let encryption = node["encryption"] {
            throw encryption.error("an encrypted base backup is not a source yet: decrypt it into a folder first (age -d / gpg -d), or drill an encrypted pg_dump")
        }
    }

    func plan(_ file: DrillFile, options: DrillOptions) async throws -> DrillPlanner.PlannedBackup {
        try await BaseBackupPlanning.plan(file, options: options, source: self)
    }

    func fetch(_ plan: inout DrillPlan, runner: DrillRunner, recorder: PhaseRecorder, state: inout DrillState) async throws -> ArtifactFetch.Outcome? {
        try await runner.fetchRemoteBaseBackup(&plan, recorder: recorder, state: &state)
        return nil
    }

    func verifyCases(_ plan: DrillPlan) async throws -> [ReportCase] {
        guard let physical = plan.physical else { return [] }
        return [
            WALContinuity.reportCase(physical),
            try await WALContinuity.accessCase(physical, osUser: plan.file.postgres.osUser),
            try await WALContinuity.recordsCase(physical, binaries: plan.serverBinaries, osUser: plan.file.postgres.osUser),
        ]
    }

    func formatName(_ plan: DrillPlan) -> String {
        if let physical = plan.physical, case .tar = physical.choice.backup.layout { return "basebackup/tar" }
        return "basebackup/plain"
    }

    func summaryLines(_ plan: DrillPlan) -> (backup: [String], restore: [String]) {
        guard let physical = plan.physical else { return ([], []) }
        let chosen = physical.choice.backup
        let target = physical.target
        let preflight = physical.preflight
        var lines = [
            "  backup:    base backup \(chosen.name) of \(physical.catalog.count) in \(plan.file.backup.location)",
            "  chosen:    \(physical.choice.reason)",
            "  starts at: \(chosen.label.startLSN) on timeline \(chosen.label.timeline)\(chosen.stopLSN.map { ", consistent at \($0)" } ?? "")",
            "  target:    \(target)\(target.kind == .latest || target.kind == .immediate ? "" : (target.inclusive ? " (inclusive)" : " (exclusive)"))",
            "  WAL:       \(preflight.first) … \(preflight.last): \(preflight.segmentCount) segment(s), \(ByteCount(preflight.bytesToFetch)) to fetch from \(physical.archive.directory)",
        ]
        if preflight.missing.isEmpty {
            lines.append("             every segment in that range is in the archive")
        } else {
            lines.append(
                "             MISSING: \(preflight.missing.prefix(5).map(\.description).joined(separator: ", "))\(preflight.missing.count > 5 ? " and \(preflight.missing.count - 5) more" : "")")
        }
        lines.append("  to replay: about \(ByteCount(Int64(preflight.segmentCount) * Int64(WALSegmentName.defaultSegmentSize))) of WAL after restoring \(ByteCount(chosen.size))")
        return (lines, ["  checks in: database \(plan.database)"])
    }

    func backupFolders(_ plan: DrillPlan) -> [String] {
        guard let physical = plan.physical else { return [plan.artifactPath] }
        return [plan.artifactPath, physical.archive.directory, physical.choice.backup.directory]
    }

    func checkEnvironment(_ plan: DrillPlan) -> [String: String] { ["DRILL_BACKUP_FORMAT": "basebackup"] }
}
