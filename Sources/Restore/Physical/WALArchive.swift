import DrillSupport
import Foundation

/// What a WAL archive folder holds: segments (plain or `.gz`/`.lz4`/`.zst`) and backup history
/// files. Read-only: it is only listed.
public struct WALArchive: Sendable {
    /// A backup history file (`...00000028.backup`): when and where a base backup started and stopped.
    public struct BackupHistory: Sendable, Equatable {
        public var startLSN: LSN
        public var stopLSN: LSN
        public var startTime: Date?
        public var stopTime: Date?
        public var timeline: UInt32
    }

    /// The archive folder.
    public var directory: String
    /// Segment names present, with the file name that holds each.
    public var segments: [WALSegmentName: String]
    /// Parsed backup history files.
    public var backupHistories: [BackupHistory]

    /// Lists `directory`; errors when it cannot be read.
    /// An archive whose segments (name → path relative to `directory`) were listed elsewhere
    /// (a backup tool's repository).
    public init(directory: String, segments: [WALSegmentName: String], backupHistories: [BackupHistory] = []) {
        self.directory = directory
        self.segments = segments
        self.backupHistories = backupHistories
    }

    public static func list(directory: String, segmentSize: UInt64 = WALSegmentName.defaultSegmentSize) throws -> WALArchive {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RestoreError(.failure, step: "wal archive", "the WAL archive \(directory) does not exist or is not a folder")
        }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: directory)
        } catch {
            throw RestoreError(.error, step: "wal archive", "cannot list the WAL archive \(directory): \(YAMLValue.describe(error))")
        }
        var archive = WALArchive(directory: directory, segments: [:], backupHistories: [])
        for name in names.sorted() {
            let base = Self.stripCompression(name)
            if let segment = WALSegmentName(base, segmentSize: segmentSize) {
                archive.segments[segment] = name
            } else if base.hasSuffix(".backup"), let history = Self.readBackupHistory(directory + "/" + name) {
                archive.backupHistories.append(history)
            }
        }
        return archive
    }

    /// `name` without a `.gz`, `.lz4` or `.zst` suffix.
    public static func stripCompression(_ name: String) -> String {
        for suffix in [".gz", ".lz4", ".zst"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    /// Segments of `timeline` absent between `from` and `through` (inclusive), in order.
    public func missing(from: WALSegmentName, through: WALSegmentName) -> [WALSegmentName] {
        guard from.number <= through.number else { return [] }
        return (from.number...through.number).map { WALSegmentName(timeline: from.timeline, number: $0, segmentSize: from.segmentSize) }
            .filter { segments[$0] == nil && !coveredByLaterTimeline($0) }
    }

    /// The newest segment present on `timeline` or any later one.
    public func lastSegment(fromTimeline timeline: UInt32) -> WALSegmentName? {
        segments.keys.filter { $0.timeline >= timeline }.max { ($0.number, $0.timeline) < ($1.number, $1.timeline) }
    }

    /// After a timeline switch, segments continue on the new timeline with the same numbers.
    private func coveredByLaterTimeline(_ segment: WALSegmentName) -> Bool {
        segments.keys.contains { $0.timeline > segment.timeline && $0.number == segment.number }
    }

    static func readBackupHistory(_ path: String) -> BackupHistory? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return backupHistory(text: text)
    }

    /// Parses a backup history file's text; nil when it has no start and stop location.
    public static func backupHistory(text: String) -> BackupHistory? {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let start = fields["START WAL LOCATION"].flatMap(firstLSN), let stop = fields["STOP WAL LOCATION"].flatMap(firstLSN) else {
            return nil
        }
        return BackupHistory(
            startLSN: start, stopLSN: stop, startTime: fields["START TIME"].flatMap(BackupLabel.parseTime),
            stopTime: fields["STOP TIME"].flatMap(BackupLabel.parseTime), timeline: UInt32(fields["START TIMELINE"] ?? "1") ?? 1)
    }

    /// `0/2000028 (file 000000010000000000000002)` → the LSN.
    static func firstLSN(_ text: String) -> LSN? { LSN(String(text.split(separator: " ").first ?? "")) }
}
