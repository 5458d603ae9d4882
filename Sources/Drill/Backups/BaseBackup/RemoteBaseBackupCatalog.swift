import DrillSupport
import Foundation
import Restore

/// One base backup in a bucket: what planning knows of it and the objects the fetch copies.
struct RemoteBaseBackup: Sendable {
    var backup: BaseBackup
    /// The key prefix of the backup's folder (ends in `/`).
    var keyPrefix: String
    var objects: [StoredArtifact]
}

/// The base backups under a folder of a bucket, read from their small files: the folder
/// itself when it is one, else each sub-folder that is one (as `BaseBackupCatalog` does locally).
///
/// A plain backup's `backup_label` and `PG_VERSION` are objects of their own. A tar backup's
/// are inside `base.tar`, so it is planned from its `backup_manifest` (where WAL starts and
/// ends), the archive's backup history file (when it started and finished) and the version
/// that wrote its first WAL segment; the tar itself is only read once fetched.
enum RemoteBaseBackupCatalog {
    /// Reads the first bytes of the archived segment (nil when compressed or absent).
    typealias SegmentHeader = @Sendable (WALSegmentName) async throws -> Data?

    static func discover(_ folder: RemoteFolder, archive: WALArchive, version: Int?, segmentHeader: SegmentHeader) async throws
        -> [RemoteBaseBackup]
    {
        var groups: [(name: String, keyPrefix: String, objects: [StoredArtifact])] = []
        if isBackup(folder.topLevel.map(\.name)) {
            groups = [((folder.name as NSString).lastPathComponent, folder.prefix, folder.objects)]
        } else {
            let nested = Dictionary(grouping: folder.objects.filter { folder.relative($0).contains("/") }) {
                String(folder.relative($0).prefix { $0 != "/" })
            }
            for (name, objects) in nested.sorted(by: { $0.key < $1.key }) {
                let keyPrefix = folder.prefix + name + "/"
                let top = objects.filter { !$0.reference.dropFirst(keyPrefix.count).contains("/") }.map(\.name)
                if isBackup(top) { groups.append((name, keyPrefix, objects)) }
            }
        }
        guard !groups.isEmpty else {
            throw RestoreError(
                .failure, step: "base backup",
                "no base backup in \(folder.name): expected backup_label (plain format) or base.tar[.gz|.lz4|.zst] there or in its sub-folders")
        }
        var found: [RemoteBaseBackup] = []
        for group in groups {
            let backup = try await inspect(group.name, keyPrefix: group.keyPrefix, objects: group.objects, in: folder, archive: archive, version: version, segmentHeader: segmentHeader)
            found.append(RemoteBaseBackup(backup: backup, keyPrefix: group.keyPrefix, objects: group.objects))
        }
        return found.sorted { $0.backup.label.startLSN < $1.backup.label.startLSN }
    }

    static let tarCompressions: [Compression] = [.none, .gzip, .lz4, .zstd]

    static func isBackup(_ names: [String]) -> Bool {
        names.contains("backup_label") || tarCompressions.contains { names.contains("base.tar" + BaseBackup.suffix($0)) }
    }

    private static func inspect(
        _ name: String, keyPrefix: String, objects: [StoredArtifact], in folder: RemoteFolder, archive: WALArchive, version: Int?,
        segmentHeader: SegmentHeader
    ) async throws -> BaseBackup {
        let top = Dictionary(objects.filter { !$0.reference.dropFirst(keyPrefix.count).contains("/") }.map { ($0.name, $0) }) { first, _ in first }
        let url = folder.store.url(of: String(keyPrefix.dropLast()))
        let manifest = top["backup_manifest"]
        var manifestWAL: BaseBackup.ManifestWAL?
        if let manifest { manifestWAL = BaseBackup.manifestWAL(try await folder.read(manifest)) }
        let layout: BaseBackup.Layout
        var label: BackupLabel
        var recordedVersion: Int?
        if let labelObject = top["backup_label"] {
            layout = .plain
            guard let parsed = BackupLabel.parse(String(decoding: try await folder.read(labelObject), as: UTF8.self)) else {
                throw RestoreError(.failure, step: "base backup", "\(url) has no readable backup_label: the base backup is incomplete")
            }
            label = parsed
            if let versionObject = top["PG_VERSION"] {
                recordedVersion = Int(String(decoding: try await folder.read(versionObject), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
        } else {
            let compression = tarCompressions.first { top["base.tar" + BaseBackup.suffix($0)] != nil } ?? .none
            layout = .tar(compression)
            guard let wal = manifestWAL else {
                throw RestoreError(
                    .error, step: "base backup",
                    "\(url) has no backup_manifest with WAL-Ranges: a tar base backup in a bucket is planned from its manifest (pg_basebackup writes one unless --no-manifest). Keep the manifest with the backup, or fetch the backup into a folder and drill it there")
            }
            label = BackupLabel(startLSN: wal.startLSN, checkpointLSN: nil, startTime: nil, timeline: wal.timeline, label: name, takenFrom: nil)
        }
        let history = archive.backupHistories.first { $0.startLSN == label.startLSN }
        if label.startTime == nil { label.startTime = history?.startTime }
        let first = WALSegmentName(timeline: label.timeline, containing: label.startLSN)
        var major = version ?? recordedVersion
        if major == nil { major = try await segmentHeader(first).flatMap(WALPageMagic.majorVersion) }
        guard let major else {
            throw ConfigError(
                file: url,
                message: "cannot tell which PostgreSQL version wrote base backup \(url): the archive holds no uncompressed WAL segment to read it from (\(first) is where it starts). Set postgres.version")
        }
        return BaseBackup(
            directory: url, layout: layout, manifestPath: manifest.map { folder.store.url(of: $0.reference) }, label: label, majorVersion: major,
            stopLSN: history?.stopLSN ?? manifestWAL?.endLSN, stopTime: history?.stopTime ?? manifest?.modified ?? objects.map(\.modified).max(),
            size: objects.reduce(0) { $0 + $1.size })
    }
}
