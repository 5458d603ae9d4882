import Checks
import DrillSupport
import Foundation
import Provisioning
import Restore

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
    /// What inspecting the artifact found.
    public var inspection: ArtifactInspection
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
    /// Where reports go.
    public var reportsDirectory: String
    /// Parallel restore jobs.
    public var jobs: Int

    /// A human description for `restore-drill plan`.
    public var summary: String {
        var lines = [
            "Drill \(file.name) (\(file.path))",
            "  backup:    \(artifactPath) (\(inspection.format.rawValue) dump\(inspection.compression == .none ? "" : ", \(inspection.compression.rawValue)-compressed"))",
            "  recorded:  " + (expectedSHA256.map { "sha256 \($0)" } ?? "no checksum recorded (run: restore-drill record ARTIFACT)")
                + (expectedSize.map { ", \(ByteCount($0))" } ?? "") + (metadataPath.map { " from \($0)" } ?? ""),
            "  taken:     " + (backupCreatedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "unknown"),
            "  source:    PostgreSQL " + (sourceServerVersion ?? "unknown version"),
            "  server:    PostgreSQL \(serverBinaries.version) from \(serverBinaries.directory) via \(file.postgres.provisioner), as OS user \(OSUser.isRoot ? file.postgres.osUser : OSUser.current.name)",
            "  restore:   into database \(database) with \(inspection.format.usesPgRestore ? "pg_restore (\(inspection.format.supportsParallelRestore ? jobs : 1) job(s))" : "psql")",
            "  targets:   RPO \(DrillDuration.format(file.targets.rpo)), RTO \(DrillDuration.format(file.targets.rto))",
            "  checks:    \(checks.count)" + (checks.isEmpty ? " (none: the drill only proves the restore runs)" : ""),
        ]
        for check in checks {
            lines.append("    - [\(check.pack)] \(check.id): \(check.name) (\(check.kind.name), timeout \(DrillDuration.format(check.timeout)))")
        }
        lines.append("  reports:   \(reportsDirectory)")
        return lines.joined(separator: "\n")
    }
}
