import Checks
import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Recovery
import Restore

/// A logical backup's plan: what the artifact is and what was recorded about it.
public struct LogicalBackupPlan: Sendable {
    /// What inspecting the artifact found (or the metadata said).
    public var inspection: ArtifactInspection
    /// `backup.roles`, or a supabase_cli backup's roles part: absolute.
    public var rolesFile: String? = nil
    /// A supabase_cli backup's platform part: absolute.
    public var platformFile: String? = nil
    /// A supabase_cli backup's data part: absolute.
    public var dataFile: String? = nil

    /// Every file of the backup besides the artifact itself.
    public var partFiles: [String] { [rolesFile, platformFile, dataFile].compactMap { $0 } }
}

/// A physical backup's plan: which base backup, which WAL, which target.
public struct PhysicalBackupPlan: Sendable {
    /// Every base backup found, oldest first.
    public var catalog: [BaseBackup]
    /// The one chosen for the target, and why.
    public var choice: BackupSelection.Choice
    /// The WAL archive listing.
    public var archive: WALArchive
    /// The segments replay needs and which are missing.
    public var preflight: WALPreflight
    /// Where recovery stops.
    public var target: RecoveryTarget
}

/// The kind of backup a drill restores.
public enum BackupPlan: Sendable {
    case logical(LogicalBackupPlan)
    case physical(PhysicalBackupPlan)
    /// Nothing to restore: an external server, restored by its provider, is only checked.
    case external(ExternalServerPlan)
}

/// The external server a drill checks: where it is (from the DSN) and what it runs.
public struct ExternalServerPlan: Sendable {
    public var connection: ConnectionParameters
    public var serverVersion: String
}

/// Everything a drill needs, resolved and checked, before anything is restored.
public struct DrillPlan: Sendable {
    /// The validated drill file.
    public var file: DrillFile
    /// Absolute path of the artifact (file or directory), read-only.
    public var artifactPath: String
    /// Metadata recorded at backup time, if any.
    public var metadata: BackupMetadata?
    /// Where the metadata came from.
    public var metadataPath: String?
    /// Logical or physical specifics.
    public var backup: BackupPlan
    /// Size the artifact must have, if recorded.
    public var expectedSize: Int64?
    /// SHA-256 the artifact must have, if recorded.
    public var expectedSHA256: String?
    /// When the backup was taken, if known.
    public var backupCreatedAt: Date?
    /// Version the backup came from, if known.
    public var sourceServerVersion: String?
    /// Major version the drill server must have.
    public var majorVersion: Int
    /// The server programs of that version.
    public var serverBinaries: ServerBinaries
    /// Database the backup is restored into.
    public var database: String
    /// Checks to run, in report order.
    public var checks: [CheckDefinition]
    /// Checks `--only`/`--skip` left out (reported as skipped, so the report says what was not checked).
    public var checksLeftOut: [CheckDefinition]
    /// Why a left-out check was left out, by id, when it was not `--only`/`--skip`.
    public var leftOutReasons: [String: String] = [:]
    /// Where reports go.
    public var reportsDirectory: String
    /// Parallel restore jobs.
    public var jobs: Int

    /// The logical plan, when the backup is a dump.
    public var logical: LogicalBackupPlan? {
        if case .logical(let plan) = backup { return plan }
        return nil
    }

    /// The physical plan, when the backup is a base backup.
    public var physical: PhysicalBackupPlan? {
        if case .physical(let plan) = backup { return plan }
        return nil
    }

    /// `pg_dump/custom`, `basebackup/tar`...
    public var formatName: String {
        switch backup {
        case .logical(let plan):
            if plan.inspection.format == .cluster { return "pg_dumpall" }
            if plan.dataFile != nil || plan.platformFile != nil { return "supabase_cli (\(1 + plan.partFiles.count) files)" }
            return "pg_dump/\(plan.inspection.format.rawValue)" + (plan.rolesFile == nil ? "" : " with a roles file")
        case .physical(let plan):
            if case .tar = plan.choice.backup.layout { return "basebackup/tar" }
            return "basebackup/plain"
        case .external: return "external (restored by its provider)"
        }
    }

    /// A human description for `restore-drill plan`.
    public var summary: String {
        var lines = ["Drill \(file.name) (\(file.path))"]
        switch backup {
        case .logical(let plan):
            let inspection = plan.inspection
            lines.append(
                "  backup:    \(artifactPath) (\(inspection.format.rawValue) dump\(inspection.compression == .none ? "" : ", \(inspection.compression.rawValue)-compressed"))")
        case .physical(let plan):
            lines.append("  backup:    base backup \(plan.choice.backup.name) of \(plan.catalog.count) in \(file.backup.location)")
            lines.append("  chosen:    \(plan.choice.reason)")
            lines.append("  starts at: \(plan.choice.backup.label.startLSN) on timeline \(plan.choice.backup.label.timeline)\(plan.choice.backup.stopLSN.map { ", consistent at \($0)" } ?? "")")
            lines.append("  target:    \(plan.target)\(plan.target.kind == .latest || plan.target.kind == .immediate ? "" : (plan.target.inclusive ? " (inclusive)" : " (exclusive)"))")
            let preflight = plan.preflight
            lines.append(
                "  WAL:       \(preflight.first) … \(preflight.last): \(preflight.segmentCount) segment(s), \(ByteCount(preflight.bytesToFetch)) to fetch from \(plan.archive.directory)")
            if preflight.missing.isEmpty {
                lines.append("             every segment in that range is in the archive")
            } else {
                lines.append("             MISSING: \(preflight.missing.prefix(5).map(\.description).joined(separator: ", "))\(preflight.missing.count > 5 ? " and \(preflight.missing.count - 5) more" : "")")
            }
            lines.append("  to replay: about \(ByteCount(Int64(preflight.segmentCount) * Int64(WALSegmentName.defaultSegmentSize))) of WAL after restoring \(ByteCount(plan.choice.backup.size))")
        case .external(let plan):
            lines.append("  server:    external \(plan.connection) (PostgreSQL \(plan.serverVersion)), restored by its provider: the drill only checks it")
        }
        lines += [
            "  recorded:  " + (expectedSHA256.map { "sha256 \($0)" } ?? "no checksum recorded (run: restore-drill record ARTIFACT)")
                + (expectedSize.map { ", \(ByteCount($0))" } ?? "") + (metadataPath.map { " from \($0)" } ?? ""),
            "  taken:     " + (backupCreatedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "unknown"),
            "  source:    PostgreSQL " + (sourceServerVersion ?? "unknown version"),
            "  server:    PostgreSQL \(serverBinaries.version) from \(serverBinaries.directory) via \(file.postgres.provisioner), as OS user \(OSUser.isRoot ? file.postgres.osUser : OSUser.current.name)",
        ]
        if let logical {
            if logical.inspection.format == .cluster {
                lines.append("  restore:   every database and role of the cluster with psql; checks in database \(file.backup.database ?? "the dump's one database (postgres when it has several)")")
            } else if let created = logical.inspection.header.createsDatabase {
                lines.append("  restore:   with psql into database \(created), which the dump creates")
            } else {
                lines.append("  restore:   into database \(database) with \(logical.inspection.format.usesPgRestore ? "pg_restore (\(logical.inspection.format.supportsParallelRestore ? jobs : 1) job(s))" : "psql")")
            }
            for (label, path) in [("roles", logical.rolesFile), ("platform", logical.platformFile), ("data", logical.dataFile)] {
                if let path { lines.append("  \(label):\(String(repeating: " ", count: max(1, 10 - label.count)))\(path)") }
            }
        } else {
            lines.append("  checks in: database \(database)")
        }
        lines += [
            "  targets:   RPO \(DrillDuration.format(file.targets.rpo)), RTO \(DrillDuration.format(file.targets.rto))",
            "  checks:    \(checks.count)" + (checks.isEmpty ? " (none: the drill only proves the restore runs)" : ""),
        ]
        for check in checks {
            lines.append("    - [\(check.pack)] \(check.id): \(check.name) (\(check.kind.name), timeout \(DrillDuration.format(check.timeout)))")
        }
        for check in checksLeftOut { lines.append("  left out: \(check.id) (\(leftOutReasons[check.id] ?? "--only/--skip"))") }
        lines.append("  reports:   \(reportsDirectory)")
        return lines.joined(separator: "\n")
    }
}
