import DrillSupport
import Foundation
import Provisioning
import Reports

/// One kind of backup a drill restores, named by `backup.format` (pg_dump, basebackup...).
///
/// A source reads its own keys of the drill file's `backup:` section, finds and inspects the
/// backup without restoring anything (`plan`), adds its own verify cases, and restores into
/// a server it provisions. It hands the runner a plan of one of the restore shapes
/// PostgreSQL has (a dump replayed into a fresh server, or a data directory recovered from
/// WAL), so completeness, quarantine, checks and measurement stay the same for every source.
///
/// Adding a source is one folder under `Sources/Drill/Backups/` and one line in
/// `BackupSources.all`.
protocol BackupSource: Sendable {
    /// The `backup.format` names this source answers to.
    var formats: [String] { get }
    /// Keys of `backup:` this source reads besides `BackupSources.commonKeys`.
    var keys: [String] { get }
    /// Whether `recovery:` targets and `run --target-*` apply (a WAL-replaying source).
    var recoversToTarget: Bool { get }
    /// Whether `backup.location` may be an `s3://` URL.
    var readsS3: Bool { get }
    /// Whether the artifact is checked against a recorded size and SHA-256 (a backup tool's
    /// repository checks its own instead).
    var usesRecordedChecksum: Bool { get }
    /// Reads and checks this source's keys of `backup:` (the common ones are parsed already).
    func parse(_ node: YAMLValue, format: String, into backup: inout DrillFile.Backup) throws(ConfigError)
    /// Finds, selects and inspects the backup; restores nothing.
    func plan(_ file: DrillFile, options: DrillOptions) async throws -> DrillPlanner.PlannedBackup
    /// The verify phase's cases beyond the recorded size and checksum.
    func verifyCases(_ plan: DrillPlan) async throws -> [ReportCase]
    /// The fetch phase: copies the backup from where it lives into the drill's folder and
    /// points the plan at the copy. Returns what was measured on the way for the verify phase,
    /// nil when nothing was fetched or the copy is verified from its files.
    func fetch(_ plan: inout DrillPlan, runner: DrillRunner, recorder: PhaseRecorder, state: inout DrillState) async throws -> ArtifactFetch.Outcome?
    /// Reads what a fetched (downloaded, decrypted) copy is, once it was verified, into the plan.
    func inspectFetched(_ plan: inout DrillPlan, suite: inout ReportSuite) async throws
    /// Provisions the throwaway server and restores the backup into it, each step a phase.
    func restore(_ plan: DrillPlan, runner: DrillRunner, recorder: PhaseRecorder, state: inout DrillState) async throws
        -> any ProvisionedServer
    /// `pg_dump/custom`, `basebackup/tar`...: the report's `backup.format`.
    func formatName(_ plan: DrillPlan) -> String
    /// `restore-drill plan`'s lines about the backup (after the drill's name) and about how it
    /// is restored (after the server line).
    func summaryLines(_ plan: DrillPlan) -> (backup: [String], restore: [String])
    /// Folders of the backup (reports must stay out of them).
    func backupFolders(_ plan: DrillPlan) -> [String]
    /// `DRILL_BACKUP_*` variables for command checks beyond `DRILL_BACKUP_PATH`.
    func checkEnvironment(_ plan: DrillPlan) -> [String: String]
}

extension BackupSource {
    var keys: [String] { [] }
    var recoversToTarget: Bool { false }
    var readsS3: Bool { false }
    var usesRecordedChecksum: Bool { true }
    func parse(_ node: YAMLValue, format: String, into backup: inout DrillFile.Backup) throws(ConfigError) {}
    func verifyCases(_ plan: DrillPlan) async throws -> [ReportCase] { [] }
    func inspectFetched(_ plan: inout DrillPlan, suite: inout ReportSuite) async throws {}
    func fetch(_ plan: inout DrillPlan, runner: DrillRunner, recorder: PhaseRecorder, state: inout DrillState) async throws -> ArtifactFetch.Outcome? {
        try await runner.fetchArtifact(&plan, recorder: recorder, state: &state)
    }
    func backupFolders(_ plan: DrillPlan) -> [String] { [plan.artifactPath] }
}

/// The registry of backup sources.
enum BackupSources {
    /// Every source a drill file can name, in the order `backup.format`'s error lists them.
    static let all: [any BackupSource] = [PgDumpSource(), BaseBackupSource(), PgBackRestSource(), BarmanCloudSource()]

    /// Keys of `backup:` every source reads.
    static let commonKeys = ["format", "location", "metadata", "sha256", "size", "database", "content", "select", "encryption"]

    /// Every `backup.format` name, for messages.
    static var formatNames: [String] { all.flatMap(\.formats) }

    /// The source for `format`, or nil.
    static func named(_ format: String) -> (any BackupSource)? {
        all.first { $0.formats.contains(format) }
    }

    /// The source a parsed drill file uses: the external "source" (nothing to restore) for an
    /// external server, else the one its `backup.format` names.
    static func source(for file: DrillFile) -> any BackupSource {
        if file.postgres.isExternal { return ExternalSource() }
        // The parser accepted the format, so a source answers to it.
        return named(file.backup.format) ?? PgDumpSource()
    }

    /// The sources that accept keys `key`, for "belongs to" messages.
    static func formats(reading key: String) -> [String] {
        all.filter { $0.keys.contains(key) }.flatMap(\.formats)
    }
}
