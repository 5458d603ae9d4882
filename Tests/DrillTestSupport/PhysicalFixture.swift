import Drill
import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Recovery
import Synchronization

/// A realistic physical backup made at test time: a primary archiving WAL, base backups taken
/// with `pg_basebackup`, and batches of rows written between them with a mark after each
/// batch (time, LSN, xid, restore point), so tests know which rows every target must give.
public struct PhysicalFixture: Sendable {
    /// The point after one batch of rows.
    public struct Mark: Sendable {
        /// Restore point name (`after-batch-N`).
        public var name: String
        /// A moment after the batch's commit and before the next batch.
        public var time: Date
        /// The WAL position after the batch's commit.
        public var lsn: String
        /// The batch's transaction id.
        public var xid: UInt64
        /// When the batch committed (track_commit_timestamp).
        public var commitTime: Date
        /// Rows in `drill_events` once this batch is in.
        public var rows: Int
    }

    /// Layout of the base backups.
    public enum Format: String, Sendable { case tar, plain }

    /// Root folder (removed with `remove()`).
    public var root: String
    /// Folder holding one folder per base backup (`base1`, `base2`...).
    public var catalog: String
    /// The WAL archive.
    public var archive: String
    /// One mark per batch, in order.
    public var marks: [Mark]
    /// Base backup folder names, oldest first.
    public var baseBackups: [String]
    /// Whether base backups carry a backup_manifest.
    var manifest = true

    static let rowsPerBatch = 10

    private static let cleanupRegistered = Atomic<Bool>(false)

    /// Fixtures shared by a suite are never removed by a test: remove this process's at exit.
    private static func registerCleanup() {
        guard !cleanupRegistered.exchange(true, ordering: .relaxed) else { return }
        atexit {
            let mine = "-\(getpid())-"
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
            where entry.hasPrefix("rdtest-pitr-") && entry.contains(mine) {
                try? FileManager.default.removeItem(atPath: "/tmp/" + entry)
            }
        }
    }

    /// Builds the fixture: a base backup before batch 1, another after each batch listed in
    /// `extraBackupsAfter`, then `batches` batches. `primarySettings` are added to the primary's.
    public static func make(
        label: String, batches: Int = 6, extraBackupsAfter: [Int] = [], format: Format = .tar, compression: String? = nil,
        manifest: Bool = true,
        primarySettings: [String: String] = [:],
        recordedPoint: (batch: Int, name: String)? = nil,
        superuser: String? = nil,
        archiveTimeout: Duration = .seconds(10),
        prepare: (@Sendable (_ session: PostgresConnection, _ archive: String) async throws -> Void)? = nil,
        withPrimary: (@Sendable (_ primary: any ProvisionedServer) async throws -> Void)? = nil,
        afterBaseBackup: (@Sendable (_ session: PostgresConnection) async throws -> Void)? = nil
    ) async throws -> PhysicalFixture {
        registerCleanup()
        let root = "/tmp/rdtest-pitr-\(label)-\(getpid())-\(UUID().uuidString.prefix(6))"
        let archive = root + "/archive", catalog = root + "/backups"
        for directory in [root, archive, catalog] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o755)
        }
        if OSUser.isRoot, let postgres = OSUser.lookup(name: "postgres") { chown(archive, postgres.uid, postgres.gid) }
        var settings = [
            "archive_mode": "on", "archive_command": "cp %p \(archive)/%f", "wal_level": "logical",
            "track_commit_timestamp": "on", "archive_timeout": "0",
        ]
        settings.merge(primarySettings) { $1 }
        let primary = try await PgCtlProvisioner().provision(
            ProvisionRequest(majorVersion: try await TestServer.newestMajor(), settings: settings, quarantined: false))
        do {
            var fixture = PhysicalFixture(root: root, catalog: catalog, archive: archive, marks: [], baseBackups: [])
            if let superuser, let primary = primary as? PgCtlServer { try await Self.renameBootstrapSuperuser(of: primary, to: superuser) }
            let session = try await PostgresConnection.connect(primary.connection)
            defer { session.close() }
            _ = try await session.execute("CREATE TABLE drill_events (id serial PRIMARY KEY, batch int NOT NULL, written_at timestamptz DEFAULT clock_timestamp())")
            try await prepare?(session, archive)
            try await withPrimary?(primary)
            fixture.manifest = manifest
            try await fixture.takeBaseBackup(primary, name: "base1", format: format, compression: compression)
            try await afterBaseBackup?(session)
            for batch in 1...batches {
                _ = try await session.execute("INSERT INTO drill_events (batch) SELECT \(batch) FROM generate_series(1, \(rowsPerBatch))")
                let state = try await session.query(
                    """
                    SELECT max(xmin::text::bigint)::text, pg_xact_commit_timestamp(max(xmin::text)::xid)::text,
                           pg_current_wal_lsn()::text, clock_timestamp()::text
                    FROM drill_events WHERE batch = $1
                    """, [String(batch)])
                if let recordedPoint, recordedPoint.batch == batch {
                    // `record --restore-point` creates the point and fingerprints it, into base1's sidecar.
                    _ = try await BackupRecording.record(
                        artifact: "\(catalog)/base1", output: nil,
                        source: .init(parameters: primary.connection, moment: .restorePoint(recordedPoint.name)))
                } else {
                    _ = try await session.query("SELECT pg_create_restore_point($1)", ["after-batch-\(batch)"])
                }
                fixture.marks.append(
                    Mark(
                        name: "after-batch-\(batch)", time: TimestampText.parse(state.value(column: 3) ?? "")!,
                        lsn: state.value(column: 2) ?? "", xid: UInt64(state.value() ?? "0") ?? 0,
                        commitTime: TimestampText.parse(state.value(column: 1) ?? "")!, rows: batch * rowsPerBatch))
                try await Task.sleep(for: .milliseconds(150))
                if extraBackupsAfter.contains(batch) {
                    try await fixture.takeBaseBackup(
                        primary, name: "base\(fixture.baseBackups.count + 1)", format: format, compression: compression)
                }
            }
            try await fixture.switchAndWaitForArchive(session, timeout: archiveTimeout)
            _ = await primary.tearDown()
            return fixture
        } catch {
            _ = await primary.tearDown()
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
    }

    /// Gives the primary's bootstrap superuser (oid 10) another name, as clusters made with
    /// `initdb -U name` have: a second superuser renames it (a session cannot rename its own role);
    /// SCRAM verifiers survive the rename, so the password stays.
    static func renameBootstrapSuperuser(of primary: PgCtlServer, to name: String) async throws {
        let original = primary.connection
        let helper = "rdtest_renamer"
        let first = try await PostgresConnection.connect(original)
        _ = try await first.execute("CREATE ROLE \(helper) SUPERUSER LOGIN PASSWORD '\(original.password ?? "")'")
        first.close()
        var asHelper = original
        asHelper.user = helper
        let second = try await PostgresConnection.connect(asHelper)
        _ = try await second.execute("ALTER ROLE \(original.user) RENAME TO \(name)")
        second.close()
        primary.useSuperuser(name)
        let third = try await PostgresConnection.connect(primary.connection)
        defer { third.close() }
        _ = try await third.execute("DROP ROLE \(helper)")
    }

    mutating func takeBaseBackup(_ primary: any ProvisionedServer, name: String, format: Format, compression: String?) async throws {
        var arguments = ["--pgdata=\(catalog)/\(name)", "--format=\(format.rawValue)", "--wal-method=none", "--checkpoint=fast", "--no-sync"]
        if !manifest { arguments.append("--no-manifest") }
        if let compression { arguments.append("--compress=client-\(compression)") }
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: primary.binaries.path("pg_basebackup"), arguments: arguments,
                environment: primary.connection.libpqEnvironment, displayName: "pg_basebackup"))
        guard result.succeeded else { throw TestSupportError("pg_basebackup failed: \(result.standardError)") }
        baseBackups.append(name)
    }

    func switchAndWaitForArchive(_ session: PostgresConnection, timeout: Duration) async throws {
        let switched = try await session.query("SELECT pg_walfile_name(pg_switch_wal())")
        let last = switched.value() ?? ""
        // Bounded: polls every 100 ms until `timeout`.
        for _ in 0..<max(1, Int(timeout.seconds * 10)) {
            let archived = try await session.query("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
            if let done = archived.value(), done >= last { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSupportError("the primary did not archive \(last) in time")
    }

    /// A copy of the archive that a test may break, owned like the original (by the archiving account).
    public func copyArchive(to destination: String) throws {
        try FileManager.default.copyItem(atPath: archive, toPath: destination)
        guard OSUser.isRoot, let postgres = OSUser.lookup(name: "postgres") else { return }
        chown(destination, postgres.uid, postgres.gid)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? [] {
            chown(destination + "/" + file, postgres.uid, postgres.gid)
        }
    }

    /// Segment files in the archive, sorted.
    public var archivedSegments: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: archive)) ?? []).filter { $0.count == 24 }.sorted()
    }

    /// Removes the fixture's files.
    public func remove() { try? FileManager.default.removeItem(atPath: root) }
}
