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
    /// Where the artifact was found and how it was chosen, for a location that is a bucket, a
    /// glob or an encrypted file.
    var located: LocatedBackup? = nil
    /// True until the fetched copy was inspected (the plan came from the metadata).
    var inspectedAfterFetch = false

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
    /// How the backup becomes a data directory and where recovery reads WAL.
    var steps: any PhysicalRestoreSteps
    /// The bucket folders the backup and its WAL archive were planned from; nil when both are local.
    var remote: RemoteBaseBackups.Parts? = nil

    /// Where the WAL archive lives (`s3://bucket/prefix` or its folder), for messages.
    public var archiveLocation: String { remote?.archiveFolder?.name ?? archive.directory }
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
    /// The source that planned the backup and restores it.
    var source: any BackupSource
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

    /// Where the backup lives (`s3://bucket/key`, or its path); the artifact path may be a fetched copy.
    public var sourceLocation: String { logical?.located?.url ?? physical?.remoteBackupURL ?? artifactPath }

    /// `pg_dump/custom`, `basebackup/tar`...
    public var formatName: String { source.formatName(self) }

    /// A human description for `restore-drill plan`.
    public var summary: String {
        var lines = ["Drill \(file.name) (\(file.path))"]
        let sourceLines = source.summaryLines(self)
        lines += sourceLines.backup
        lines += [
            "  recorded:  "
                + (!source.usesRecordedChecksum
                    ? "the repository's own checksums, checked with its tool before anything is restored"
                    : (expectedSHA256.map { "sha256 \($0)" } ?? "no checksum recorded (run: restore-drill record ARTIFACT)")
                        + (expectedSize.map { ", \(ByteCount($0))" } ?? "") + (metadataPath.map { " from \($0)" } ?? "")),
            "  taken:     " + (backupCreatedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "unknown"),
            "  source:    PostgreSQL " + (sourceServerVersion ?? "unknown version"),
            "  server:    PostgreSQL \(serverBinaries.version) from \(serverBinaries.directory) via \(file.postgres.provisioner), as OS user \(OSUser.isRoot ? file.postgres.osUser : OSUser.current.name)",
        ]
        lines += sourceLines.restore
        lines += [
            "  targets:   RPO \(DrillDuration.format(file.targets.rpo)), RTO \(DrillDuration.format(file.targets.rto))",
            "  checks:    \(checks.count)" + (checks.isEmpty ? " (none: the drill only proves the restore runs)" : ""),
        ]
        for check in checks {
            lines.append("    - [\(check.pack)] \(check.id): \(check.name) (\(check.kind.name), timeout \(DrillDuration.format(check.timeout)))")
        }
        for check in checksLeftOut { lines.append("  left out: \(check.id) (\(leftOutReasons[check.id] ?? "--only/--skip"))") }
        if let posture = file.posture {
            lines.append(
                "  posture:   \(posture.buckets.map(\.bucketURL).joined(separator: ", ")): versioning, lifecycle keeping \(PostureRules.days(posture.retention)) days, default encryption\(posture.kmsKey.map { " with key \($0)" } ?? ""), public access, the drill's access\(posture.writeProbe ? " and the write probe" : "")")
        }
        lines.append("  reports:   \(reportsDirectory)")
        return lines.joined(separator: "\n")
    }
}
