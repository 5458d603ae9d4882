import DrillSupport
import Foundation
import Restore

/// Where recovery should stop.
public enum RecoveryTargetKind: Sendable, Equatable {
    /// A moment (`recovery_target_time`).
    case time(Date)
    /// A WAL location (`recovery_target_lsn`).
    case lsn(LSN)
    /// A transaction id (`recovery_target_xid`).
    case xid(UInt64)
    /// A restore point made with `pg_create_restore_point` (`recovery_target_name`).
    case name(String)
    /// As soon as the backup is consistent (`recovery_target = 'immediate'`).
    case immediate
    /// The end of the archive.
    case latest
}

/// A recovery target with its options, turned into PostgreSQL settings.
public struct RecoveryTarget: Sendable, Equatable, CustomStringConvertible {
    /// Where to stop.
    public var kind: RecoveryTargetKind
    /// Stop after (true) or just before (false) the target.
    public var inclusive: Bool
    /// `recovery_target_timeline`: `latest`, `current` or a number.
    public var timeline: String

    /// A target.
    public init(kind: RecoveryTargetKind, inclusive: Bool = true, timeline: String = "latest") {
        self.kind = kind
        self.inclusive = inclusive
        self.timeline = timeline
    }

    /// The recovery settings, with `recovery_target_action = promote` so a reached target ends
    /// in a usable copy and an unreached one in a FATAL the drill can report.
    public var settings: [String: String] {
        var settings = ["recovery_target_action": "promote", "recovery_target_timeline": timeline, "hot_standby": "on"]
        switch kind {
        case .time(let date): settings["recovery_target_time"] = TimestampText.postgres(date)
        case .lsn(let lsn): settings["recovery_target_lsn"] = lsn.description
        case .xid(let xid): settings["recovery_target_xid"] = String(xid)
        case .name(let name): settings["recovery_target_name"] = name
        case .immediate: settings["recovery_target"] = "immediate"
        case .latest: break
        }
        if kind != .latest && kind != .immediate { settings["recovery_target_inclusive"] = inclusive ? "on" : "off" }
        return settings
    }

    public var description: String {
        switch kind {
        case .time(let date): return "time \(TimestampText.postgres(date))"
        case .lsn(let lsn): return "LSN \(lsn)"
        case .xid(let xid): return "transaction \(xid)"
        case .name(let name): return "restore point '\(name)'"
        case .immediate: return "immediate (end of the base backup)"
        case .latest: return "latest (end of the WAL archive)"
        }
    }

    /// `time`, `lsn`, `xid`, `name`, `immediate` or `latest`, for reports.
    public var typeName: String {
        switch kind {
        case .time: return "time"
        case .lsn: return "lsn"
        case .xid: return "xid"
        case .name: return "name"
        case .immediate: return "immediate"
        case .latest: return "latest"
        }
    }

    /// The target's value as text, for reports.
    public var valueText: String {
        switch kind {
        case .time(let date): return TimestampText.iso(date)
        case .lsn(let lsn): return lsn.description
        case .xid(let xid): return String(xid)
        case .name(let name): return name
        case .immediate, .latest: return typeName
        }
    }
}
