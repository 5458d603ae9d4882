import Drill
import DrillSupport
import Foundation
import Restore

/// Sample-app backups made once per test run (per format and compression) by the same
/// builder `restore-drill demo` uses; tests copy them into their workspace before breaking them.
public actor SampleBackupCache {
    /// The cache every test shares.
    public static let shared = SampleBackupCache()

    private var backups: [String: Task<SampleBackup, any Error>] = [:]
    private let directory: String

    private init() {
        directory = "/tmp/rdtest-backups-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        Self.removeStaleCaches()
        atexit { try? FileManager.default.removeItem(atPath: "/tmp/rdtest-backups-\(getpid())") }
    }

    /// The admin password every cached sample backup was seeded with.
    public static let adminPassword = "drill-admin-" + String(UUID().uuidString.prefix(8)).lowercased()

    /// A backup of the sample app in `format` with outer `compression`.
    public func backup(format: DumpFormat = .custom, compression: Compression = .none, variant: SampleVariant = .plain) async throws -> SampleBackup {
        let key = "\(format.rawValue)-\(compression.rawValue)\(variant.key)"
        if let existing = backups[key] { return try await existing.value }
        let target = directory + "/" + key
        let task = Task {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            chmod(target, 0o755)
            return try await SampleDatabase.makeBackup(
                fixtures: RepositoryPaths.fixtures, into: target, format: format, compression: compression,
                adminPassword: Self.adminPassword, dumpArguments: variant.dumpArguments, fingerprints: variant.fingerprints,
                scheduler: variant.scheduler, otherForms: variant.otherForms)
        }
        backups[key] = task
        return try await task.value
    }

    /// Copies a cached backup (artifact and sidecar) into `workspace`; returns the new artifact path.
    public func copy(
        format: DumpFormat = .custom, compression: Compression = .none, variant: SampleVariant = .plain, into workspace: TestWorkspace
    ) async throws -> String {
        let source = try await backup(format: format, compression: compression, variant: variant)
        let name = (source.artifactPath as NSString).lastPathComponent
        let target = workspace.file(name)
        try FileManager.default.copyItem(atPath: source.artifactPath, toPath: target)
        try FileManager.default.copyItem(atPath: source.metadataPath, toPath: BackupMetadata.sidecarPath(for: target))
        return target
    }

    /// Caches of test processes that are gone.
    private static func removeStaleCaches() {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [] where entry.hasPrefix("rdtest-") {
            let parts = entry.split(separator: "-")
            if entry.hasPrefix("rdtest-backups-"), let pid = Int32(parts.last ?? ""), pid != getpid(), kill(pid, 0) != 0 {
                try? FileManager.default.removeItem(atPath: "/tmp/" + entry)
            }
        }
    }
}

/// How a sample backup differs from a plain `pg_dump app`.
public struct SampleVariant: Sendable, Hashable {
    /// Extra pg_dump arguments (`--schema-only`, `--exclude-table=...`).
    public var dumpArguments: [String] = []
    /// Record the source's fingerprints with the backup.
    public var fingerprints = false

    /// The Supabase project schedules a pg_cron job (the source preloads pg_cron).
    public var scheduler = false
    /// Also write the database in the other forms (`SampleForms`: pg_dumpall, roles file, Supabase CLI files).
    public var otherForms = false

    /// A variant.
    public init(dumpArguments: [String] = [], fingerprints: Bool = false, scheduler: Bool = false, otherForms: Bool = false) {
        self.dumpArguments = dumpArguments
        self.fingerprints = fingerprints
        self.scheduler = scheduler
        self.otherForms = otherForms
    }

    /// The sample as `pg_dump app` makes it.
    public static let plain = SampleVariant()

    var key: String {
        guard self != .plain else { return "" }
        let words = dumpArguments.joined(separator: "_").filter { $0.isLetter || $0.isNumber || $0 == "_" }
        return "-" + words + (fingerprints ? "-fp" : "") + (scheduler ? "-cron" : "") + (otherForms ? "-forms" : "")
    }
}
