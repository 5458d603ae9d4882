import Foundation

/// The `backup_label` file PostgreSQL writes into a base backup: where WAL replay must start.
public struct BackupLabel: Sendable, Equatable {
    /// `START WAL LOCATION`.
    public var startLSN: LSN
    /// `CHECKPOINT LOCATION`.
    public var checkpointLSN: LSN?
    /// `START TIME`.
    public var startTime: Date?
    /// `START TIMELINE`.
    public var timeline: UInt32
    /// `LABEL`.
    public var label: String
    /// `BACKUP FROM` (`primary` or `standby`).
    public var takenFrom: String?

    /// A label by its fields.
    public init(startLSN: LSN, checkpointLSN: LSN?, startTime: Date?, timeline: UInt32, label: String, takenFrom: String?) {
        self.startLSN = startLSN
        self.checkpointLSN = checkpointLSN
        self.startTime = startTime
        self.timeline = timeline
        self.label = label
        self.takenFrom = takenFrom
    }

    /// Parses the file's text; nil when it has no start location.
    public static func parse(_ text: String) -> BackupLabel? {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let start = fields["START WAL LOCATION"].flatMap(WALArchive.firstLSN) else { return nil }
        return BackupLabel(
            startLSN: start, checkpointLSN: fields["CHECKPOINT LOCATION"].flatMap { LSN($0) },
            startTime: fields["START TIME"].flatMap(parseTime), timeline: UInt32(fields["START TIMELINE"] ?? "1") ?? 1,
            label: fields["LABEL"] ?? "", takenFrom: fields["BACKUP FROM"])
    }

    /// `2026-11-24 18:22:01 UTC` (the server's log_timezone abbreviation).
    static func parseTime(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
