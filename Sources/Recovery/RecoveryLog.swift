import DrillSupport
import Foundation
import Restore

/// What the server log says about a recovery (PostgreSQL's own lines, and our restore_command's).
public struct RecoveryLog: Sendable, Equatable {
    /// "recovery stopping before commit of transaction 728, time ..." and its kin.
    public var stoppingLine: String?
    /// "last completed transaction was at log time T".
    public var lastCompletedTransaction: Date?
    /// "redo done at X".
    public var redoDone: LSN?
    /// "selected new timeline ID: N".
    public var newTimeline: UInt32?
    /// FATAL and PANIC lines, in order.
    public var fatalLines: [String]
    /// WAL files our restore_command did not find, in order.
    public var absentFiles: [String]
    /// True when our restore_command gave up on a file it could not read.
    public var readFailure: String?
    /// "hot standby is not possible because ..." or other reasons recovery paused.
    public var pauseReason: String?
    /// True once the server accepts read-write connections: recovery is over and it was promoted.
    public var acceptsConnections = false

    /// Reads a server log.
    public static func parse(_ text: String) -> RecoveryLog {
        var log = RecoveryLog(fatalLines: [], absentFiles: [])
        for raw in text.split(separator: "\n") {
            let line = String(raw)
            if let range = line.range(of: "recovery stopping ") { log.stoppingLine = String(line[range.lowerBound...]) }
            if let value = line.value(after: "last completed transaction was at log time ") {
                log.lastCompletedTransaction = TimestampText.parse(value)
            }
            if let value = line.value(after: "redo done at ") { log.redoDone = LSN(String(value.split(separator: " ").first ?? "")) }
            if let value = line.value(after: "selected new timeline ID: ") { log.newTimeline = UInt32(value.split(separator: " ").first ?? "") }
            if line.contains("FATAL:") || line.contains("PANIC:") { log.fatalLines.append(line) }
            if let value = line.value(after: "restore-drill: WAL file ") {
                log.absentFiles.append(String(value.split(separator: " ").first ?? ""))
            }
            if line.contains("restore-drill: cannot read ") { log.readFailure = line }
            // Not "ready to accept read-only connections", which hot standby logs during replay.
            if line.contains("database system is ready to accept connections") { log.acceptsConnections = true }
            if line.contains("hot standby is not possible") || line.contains("recovery has paused") { log.pauseReason = line }
        }
        return log
    }

    /// The first WAL segment (not history file) the archive lacked.
    public var firstAbsentSegment: WALSegmentName? { absentFiles.lazy.compactMap { WALSegmentName($0) }.first }
}

extension String {
    fileprivate func value(after marker: String) -> String? {
        guard let range = range(of: marker) else { return nil }
        return String(self[range.upperBound...]).trimmingCharacters(in: .whitespaces)
    }
}
