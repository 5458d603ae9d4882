import DrillSupport
import Foundation

/// One base backup as `pg_basebackup` writes it: a plain data directory, or `base.tar`
/// (optionally `.gz`/`.lz4`/`.zst`) with `pg_wal.tar` and one `OID.tar` per tablespace,
/// and `backup_manifest` unless disabled.
public struct BaseBackup: Sendable {
    /// Plain directory or tar files.
    public enum Layout: Sendable, Equatable {
        case plain
        case tar(Compression)
    }

    /// The backup's folder.
    public var directory: String
    /// How it is stored.
    public var layout: Layout
    /// `backup_manifest`, when present.
    public var manifestPath: String?
    /// Where replay starts.
    public var label: BackupLabel
    /// Major version from `PG_VERSION`.
    public var majorVersion: Int
    /// End of the backup (consistency point), when known from the manifest or the archive.
    public var stopLSN: LSN?
    /// When the backup finished, when known (archive backup history file, else the manifest's time).
    public var stopTime: Date?
    /// Bytes of the backup's files.
    public var size: Int64

    /// True when the backup carries the WAL needed to become consistent (`-X fetch`/`-X stream`).
    public var includesWAL: Bool {
        switch layout {
        case .tar(let compression): return FileManager.default.fileExists(atPath: directory + "/pg_wal.tar" + Self.suffix(compression))
        case .plain:
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/pg_wal")) ?? []
            return entries.contains { WALSegmentName($0) != nil }
        }
    }

    /// The folder's name, used to refer to a backup in messages and `backup.select`.
    public var name: String { (directory as NSString).lastPathComponent }

    /// The tar file holding the data directory (tar layout only).
    public var baseTar: String? {
        guard case .tar(let compression) = layout else { return nil }
        return directory + "/base.tar" + Self.suffix(compression)
    }

    public static func suffix(_ compression: Compression) -> String {
        switch compression {
        case .none: return ""
        case .gzip: return ".gz"
        case .lz4: return ".lz4"
        case .zstd: return ".zst"
        }
    }

    /// A base backup described by its parts (the catalog reads them from disk).
    public init(
        directory: String, layout: Layout, manifestPath: String?, label: BackupLabel, majorVersion: Int, stopLSN: LSN?,
        stopTime: Date?, size: Int64
    ) {
        self.directory = directory
        self.layout = layout
        self.manifestPath = manifestPath
        self.label = label
        self.majorVersion = majorVersion
        self.stopLSN = stopLSN
        self.stopTime = stopTime
        self.size = size
    }

    /// Reads a base backup folder; nil when `directory` is not one.
    public static func inspect(directory: String, archive: WALArchive?) async throws -> BaseBackup? {
        let manager = FileManager.default
        let layout: Layout
        let labelText: String
        let versionText: String
        if manager.fileExists(atPath: directory + "/backup_label") {
            layout = .plain
            labelText = (try? String(contentsOfFile: directory + "/backup_label", encoding: .utf8)) ?? ""
            versionText = (try? String(contentsOfFile: directory + "/PG_VERSION", encoding: .utf8)) ?? ""
        } else if let compression = [Compression.none, .gzip, .lz4, .zstd].first(where: {
            manager.fileExists(atPath: directory + "/base.tar" + suffix($0))
        }) {
            layout = .tar(compression)
            let tar = directory + "/base.tar" + suffix(compression)
            labelText = try await readMember("backup_label", of: tar, compression: compression)
            versionText = try await readMember("PG_VERSION", of: tar, compression: compression)
        } else {
            return nil
        }
        guard let label = BackupLabel.parse(labelText) else {
            throw RestoreError(.failure, step: "base backup", "\(directory) has no readable backup_label: the base backup is incomplete")
        }
        let manifest = manager.fileExists(atPath: directory + "/backup_manifest") ? directory + "/backup_manifest" : nil
        let history = archive?.backupHistories.first { $0.startLSN == label.startLSN }
        let manifestTime = manifest.flatMap { (try? manager.attributesOfItem(atPath: $0)[.modificationDate]) as? Date }
        return BaseBackup(
            directory: directory, layout: layout, manifestPath: manifest, label: label,
            majorVersion: Int(versionText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
            stopLSN: history?.stopLSN ?? manifest.flatMap(manifestEndLSN), stopTime: history?.stopTime ?? manifestTime,
            size: DiskUsage.bytes(at: directory))
    }

    /// The last `End-LSN` of the manifest's `WAL-Ranges`.
    static func manifestEndLSN(_ path: String) -> LSN? {
        guard let data = FileManager.default.contents(atPath: path),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let ranges = json["WAL-Ranges"] as? [[String: Any]], let end = ranges.last?["End-LSN"] as? String
        else { return nil }
        return LSN(end)
    }

    /// Where a backup's WAL starts and ends, from its `backup_manifest`'s `WAL-Ranges`: the
    /// start is the backup's `START WAL LOCATION` on its start timeline.
    public struct ManifestWAL: Sendable, Equatable {
        public var startLSN: LSN
        public var timeline: UInt32
        public var endLSN: LSN

        public init(startLSN: LSN, timeline: UInt32, endLSN: LSN) {
            self.startLSN = startLSN
            self.timeline = timeline
            self.endLSN = endLSN
        }
    }

    /// Reads `WAL-Ranges` from a manifest's bytes; nil when it has none.
    public static func manifestWAL(_ data: Data) -> ManifestWAL? {
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let ranges = json["WAL-Ranges"] as? [[String: Any]]
        else { return nil }
        let parsed = ranges.compactMap { range -> (timeline: UInt32, start: LSN, end: LSN)? in
            guard let startText = range["Start-LSN"] as? String, let start = LSN(startText), let endText = range["End-LSN"] as? String,
                let end = LSN(endText),
                let timeline = (range["Timeline"] as? NSNumber).flatMap({ UInt32(exactly: $0.doubleValue) })
            else { return nil }
            return (timeline, start, end)
        }
        guard let first = parsed.min(by: { $0.start < $1.start }), let last = parsed.max(by: { $0.end < $1.end }) else { return nil }
        return ManifestWAL(startLSN: first.start, timeline: first.timeline, endLSN: last.end)
    }

    static func readMember(_ member: String, of tar: String, compression: Compression) async throws -> String {
        var arguments = ["-xOf", tar]
        if let tool = compression.tool { arguments.insert("--use-compress-program=\(tool) -d", at: 0) }
        let result = try await ProcessRunner.run(ToolInvocation(executable: "tar", arguments: arguments + [member], displayName: "tar"))
        guard result.succeeded else {
            throw RestoreError(
                .failure, step: "base backup",
                "cannot read \(member) from \(tar): \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)). The base backup is damaged or incomplete.")
        }
        return result.standardOutput
    }
}
