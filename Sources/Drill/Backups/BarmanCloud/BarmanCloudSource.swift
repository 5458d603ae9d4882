import DrillSupport
import Foundation
import Provisioning
import Recovery
import Reports
import Restore

/// Barman cloud backups (`format: barman_cloud`): `location` is the `s3://BUCKET/PREFIX`
/// barman-cloud-backup wrote to, `server` Barman's server name. Backups are listed with
/// barman-cloud-backup-list, laid out with barman-cloud-restore, and the WAL replay needs is
/// fetched with barman-cloud-wal-restore into the drill's folder before recovery: the restored
/// server itself never reaches the bucket (its sandbox has no network).
struct BarmanCloudSource: PhysicalBackupSource {
    var formats: [String] { ["barman_cloud"] }
    var keys: [String] { ["server"] }
    var readsS3: Bool { true }
    var usesRecordedChecksum: Bool { false }

    func parse(_ node: YAMLValue, format: String, into backup: inout DrillFile.Backup) throws(ConfigError) {
        backup.sourceOptions["server"] = try node.required("server", hint: "Barman's server name, as given to barman-cloud-backup").string()
        let location = try node.required("location", hint: "s3://BUCKET/PREFIX, as given to barman-cloud-backup")
        guard try location.string().hasPrefix("s3://") else { throw location.error("a Barman cloud location is s3://BUCKET/PREFIX") }
        for key in ["sha256", "size", "metadata", "encryption", "sse_customer_key"] {
            if let value = node[key] { throw value.error("\(key) is not for Barman cloud backups (Barman's own tools read the bucket)") }
        }
    }

    func catalog(_ file: DrillFile) async throws -> BarmanCloudCatalog {
        let (environment, endpoint) = try await file.backup.s3.toolEnvironment()
        for value in environment.values where value.count >= 8 { SecretMasker.shared.register(value) }
        var url = file.backup.location
        while url.hasSuffix("/") { url.removeLast() }
        return BarmanCloudCatalog(url: url, server: file.backup.sourceOptions["server"] ?? "", endpoint: endpoint, environment: environment)
    }

    func plan(_ file: DrillFile, options: DrillOptions) async throws -> DrillPlanner.PlannedBackup {
        if file.recovery.randomWithinWindow != nil {
            throw ConfigError(
                file: file.path,
                message: "recovery.target random_within_window reads commit times from plain WAL segments (format: basebackup); with format: barman_cloud give a time target")
        }
        let catalog = try await catalog(file)
        let user = OSUser.isRoot ? OSUser.lookup(name: file.postgres.osUser) : nil
        let listed = try await catalog.backups(user: user)
        let done = listed.filter { $0.status == "DONE" }
        guard !done.isEmpty else {
            throw RestoreError(
                .failure, step: "fetch",
                "server \(catalog.server) in \(catalog.url) holds no finished backup (\(listed.count) listed\(listed.isEmpty ? "" : ": " + listed.map { "\($0.backup_id) \($0.status)" }.joined(separator: ", ")))")
        }
        let bases = done.map { Self.baseBackup($0, catalog: catalog) }.sorted { ($0.stopTime ?? .distantPast) < ($1.stopTime ?? .distantPast) }
        let target = options.targetOverride.map {
            RecoveryTarget(kind: $0, inclusive: file.recovery.target.inclusive, timeline: file.recovery.target.timeline)
        } ?? file.recovery.target
        let choice = try BaseBackupPlanning.choose(bases, for: target, rule: file.backup.select ?? .latest, location: "\(catalog.url) (server \(catalog.server))")
        let (archive, histories) = try await Self.walListing(file, catalog: catalog)
        let preflight = WALPreflight.check(backup: choice.backup, target: target, archive: archive)
        let chosen = done.first { $0.backup_id == choice.backup.name }!
        return DrillPlanner.PlannedBackup(
            source: self, artifactPath: "\(catalog.url)/\(catalog.server)/base/\(chosen.backup_id)", metadata: nil, metadataPath: nil,
            plan: .physical(
                PhysicalBackupPlan(
                    catalog: bases, choice: choice, archive: archive, preflight: preflight, target: target,
                    steps: BarmanCloudRestoreSteps(catalog: catalog, backupID: chosen.backup_id, histories: histories))),
            expectedSize: nil, expectedSHA256: nil, createdAt: choice.backup.stopTime, sourceVersion: String(choice.backup.majorVersion),
            majorVersion: file.postgres.version ?? choice.backup.majorVersion, database: file.backup.database ?? "postgres")
    }

    static func baseBackup(_ backup: BarmanCloudCatalog.Backup, catalog: BarmanCloudCatalog) -> BaseBackup {
        BaseBackup(
            directory: "\(catalog.url)/\(catalog.server)/base/\(backup.backup_id)", layout: .plain, manifestPath: nil,
            label: BackupLabel(
                startLSN: backup.begin_xlog.flatMap(LSN.init) ?? LSN(0), checkpointLSN: nil, startTime: BarmanCloudCatalog.time(backup.begin_time),
                timeline: UInt32(backup.timeline ?? 1), label: backup.backup_id, takenFrom: "barman-cloud-backup"),
            majorVersion: (backup.version ?? 0) / 10000, stopLSN: backup.end_xlog.flatMap(LSN.init), stopTime: BarmanCloudCatalog.time(backup.end_time),
            size: backup.size ?? 0)
    }

    /// The WAL objects under `PREFIX/SERVER/wals/`, listed with our S3 client.
    static func walListing(_ file: DrillFile, catalog: BarmanCloudCatalog) async throws -> (WALArchive, histories: [String]) {
        let pattern = LocationPattern.parse(catalog.url + "/" + catalog.server + "/wals/")
        let store = try await BackupLocations.open(pattern, s3: file.backup.s3)
        let objects = try await BackupLocating.readable(pattern.bucketURL! + "/" + pattern.prefix) { try await store.list(pattern) }
        var segments: [WALSegmentName: String] = [:]
        var histories: [String] = []
        for object in objects {
            let name = object.name
            if name.hasSuffix(".history"), name.count == 16 { histories.append(name) }
            guard let segment = WALSegmentName(String(name.prefix(24))), name.count == 24 || [".gz", ".bz2", ".xz", ".snappy", ".lz4", ".zst"].contains(String(name.dropFirst(24))) else { continue }
            segments[segment] = String(object.reference.dropFirst(pattern.prefix.count))
        }
        return (WALArchive(directory: pattern.bucketURL! + "/" + pattern.prefix.dropLast(), segments: segments), histories.sorted())
    }

    func verifyCases(_ plan: DrillPlan) async throws -> [ReportCase] {
        guard let physical = plan.physical else { return [] }
        return [WALContinuity.reportCase(physical)]
    }

    func formatName(_ plan: DrillPlan) -> String { "barman_cloud" }

    func summaryLines(_ plan: DrillPlan) -> (backup: [String], restore: [String]) {
        guard let physical = plan.physical, let steps = physical.steps as? BarmanCloudRestoreSteps else { return ([], []) }
        var lines = BaseBackupSource().summaryLines(plan).backup
        lines[0] = "  backup:    Barman cloud backup \(steps.backupID) of \(physical.catalog.count) of server \(steps.catalog.server) in \(steps.catalog.url)"
        return (
            lines,
            [
                "  restore:   barman-cloud-restore, then the WAL replay needs with barman-cloud-wal-restore, both with the sandbox's read-only file system; the server itself has no network",
                "  checks in: database \(plan.database)",
            ]
        )
    }

    func backupFolders(_ plan: DrillPlan) -> [String] { [] }

    func checkEnvironment(_ plan: DrillPlan) -> [String: String] { ["DRILL_BACKUP_FORMAT": "barman_cloud"] }
}
