import DrillSupport
import Foundation
import Restore

/// Picks the base backup for a target: the newest that finished before it. A target before
/// every backup is an error, never a silent fall-back to the newest backup.
public enum BackupSelection {
    /// The chosen backup and why, in words.
    public struct Choice: Sendable {
        public var backup: BaseBackup
        public var reason: String
    }

    /// Chooses among `backups` (oldest first); `named` forces one by folder name.
    public static func choose(_ backups: [BaseBackup], for target: RecoveryTarget, named: String? = nil) throws(SelectionError) -> Choice {
        if let named {
            guard let backup = backups.first(where: { $0.name == named }) else {
                throw SelectionError("backup.select names '\(named)', which is not among the base backups (\(backups.map(\.name).joined(separator: ", ")))")
            }
            return Choice(backup: backup, reason: "chosen by backup.select")
        }
        let newest = backups.last!
        switch target.kind {
        case .time(let time):
            // Stop times are known to the second only (backup history file, label, manifest time): a
            // backup that stopped at 14:05:00.9 reads 14:05:00. Restoring one that ended after the
            // target cannot go back in time, and PostgreSQL would still "reach" the target at the
            // next commit, so round up.
            let finished = backups.filter { ($0.stopTime ?? $0.label.startTime ?? .distantFuture).addingTimeInterval(1) <= time }
            guard let backup = finished.last else {
                let oldest = backups.first!
                throw SelectionError(
                    "the target \(TimestampText.postgres(time)) is before the oldest base backup (\(oldest.name), finished \(oldest.stopTime.map(TimestampText.postgres) ?? "at an unknown time")): no backup can reach it")
            }
            return Choice(backup: backup, reason: "the newest of \(backups.count) base backup(s) that finished before the target (\(backup.stopTime.map(TimestampText.postgres) ?? "?"))")
        case .lsn(let lsn):
            let finished = backups.filter { ($0.stopLSN ?? $0.label.startLSN) <= lsn }
            guard let backup = finished.last else {
                throw SelectionError("the target LSN \(lsn) is before the end of the oldest base backup (\(backups.first!.name)): no backup can reach it")
            }
            return Choice(backup: backup, reason: "the newest of \(backups.count) base backup(s) that ended before LSN \(lsn)")
        case .xid, .name:
            return Choice(
                backup: newest,
                reason: "the newest of \(backups.count) base backup(s): a transaction id or restore point cannot be placed in time before replay (set backup.select to use an older one)")
        case .immediate, .latest:
            return Choice(backup: newest, reason: "the newest of \(backups.count) base backup(s)")
        }
    }
}

/// The target cannot be served by any backup, or the drill file names one that does not exist (exit 2).
public struct SelectionError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
