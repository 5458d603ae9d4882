import DrillSupport
import Foundation
import Restore

/// Base backups and WAL archives in a bucket. Planning lists them and reads their small
/// files; the fetch phase then copies the chosen backup and the WAL after its start into the
/// drill's private folder, and the drill goes on as with local folders. Recovery reads that
/// copy: the restored server runs without a network, so nothing it starts can reach the
/// bucket (or anything else), and "absent" is the end of what was fetched, as locally.
enum RemoteBaseBackups {
    /// What planning listed in the bucket.
    struct Parts: Sendable {
        /// `backup.location` when it is a bucket folder.
        var backupFolder: RemoteFolder?
        /// Its base backups by name.
        var backups: [String: RemoteBaseBackup] = [:]
        /// `backup.wal_archive` when it is a bucket folder.
        var archiveFolder: RemoteFolder?
    }

    /// The catalog and archive of a physical drill, from local folders or bucket folders.
    static func discover(_ file: DrillFile, location: String, archive archiveLocation: String) async throws
        -> (catalog: [BaseBackup], archive: WALArchive, remote: Parts?)
    {
        guard location.hasPrefix("s3://") || archiveLocation.hasPrefix("s3://") else {
            let archive = try WALArchive.list(directory: archiveLocation)
            return (try await BaseBackupCatalog.discover(location: location, archive: archive), archive, nil)
        }
        var parts = Parts()
        let archive: WALArchive
        if archiveLocation.hasPrefix("s3://") {
            let folder = try await RemoteFolder.list(archiveLocation, s3: file.backup.s3, what: "backup.wal_archive")
            parts.archiveFolder = folder
            archive = try await folder.walArchive()
        } else {
            archive = try WALArchive.list(directory: archiveLocation)
        }
        guard location.hasPrefix("s3://") else {
            return (try await BaseBackupCatalog.discover(location: location, archive: archive), archive, parts)
        }
        let folder = try await RemoteFolder.list(location, s3: file.backup.s3, what: "backup.location")
        parts.backupFolder = folder
        let remoteArchive = parts.archiveFolder
        let header: RemoteBaseBackupCatalog.SegmentHeader = { first in
            // Every segment of one cluster's archive has the same magic: the first one present from the backup's start on.
            let uncompressed = archive.segments.filter { WALArchive.stripCompression($0.value) == $0.value }
            let present = uncompressed.keys.filter { $0.timeline >= first.timeline && $0.number >= first.number }.min { $0.number < $1.number }
            guard let segment = present ?? uncompressed.keys.min(by: { $0.number < $1.number }), let name = archive.segments[segment] else { return nil }
            if let remoteArchive {
                return try await remoteArchive.store.readHead(remoteArchive.prefix + name, count: WALPageMagic.headerSize)
            }
            return try await LocalBackupLocation().readHead(archive.directory + "/" + name, count: WALPageMagic.headerSize)
        }
        let found = try await RemoteBaseBackupCatalog.discover(folder, archive: archive, version: file.postgres.version, segmentHeader: header)
        parts.backups = Dictionary(found.map { ($0.backup.name, $0) }) { first, _ in first }
        return (found.map(\.backup), archive, parts)
    }
}

extension PhysicalBackupPlan {
    /// The chosen base backup's bucket folder, when it came from one.
    var remoteBackupURL: String? { remote?.backups[choice.backup.name]?.backup.directory }
}
