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
        case .time(let date): settings["recovery_target_time"] = Self.postgresTime(date)
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
        case .time(let date): return "time \(Self.postgresTime(date))"
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
        case .time(let date):
            // ISO 8601 with the microseconds the setting carries.
            let text = Self.postgresTime(date)
            return text.replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: "+00", with: "Z")
        case .lsn(let lsn): return lsn.description
        case .xid(let xid): return String(xid)
        case .name(let name): return name
        case .immediate, .latest: return typeName
        }
    }

    /// `2026-11-24 16:17:36.728761+00`: `recovery_target_time` rejects the ISO `T...Z` form.
    public static func postgresTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let micros = Int((date.timeIntervalSince1970 - floor(date.timeIntervalSince1970)) * 1_000_000 + 0.5) % 1_000_000
        return formatter.string(from: date) + String(format: ".%06d+00", micros)
    }

    /// Reads the times users type: ISO 8601 (`2026-11-24T14:05:00Z`, with an offset, with
    /// fractions) or PostgreSQL's form (`2026-11-24 14:05:00.123456+00`). Every fractional digit
    /// is kept (a target a few microseconds after a commit must stay after it). A time without a
    /// zone is refused rather than guessed.
    public static func parseTime(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let pattern = #"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: trimmed, range: NSRange(trimmed.startIndex..., in: trimmed))
        else { return nil }
        func group(_ index: Int) -> String? { Range(match.range(at: index), in: trimmed).map { String(trimmed[$0]) } }
        var components = DateComponents()
        components.year = Int(group(1)!)
        components.month = Int(group(2)!)
        components.day = Int(group(3)!)
        components.hour = Int(group(4)!)
        components.minute = Int(group(5)!)
        components.second = Int(group(6)!)
        let zone = group(8)!
        if zone == "Z" || zone == "UTC" {
            components.timeZone = TimeZone(identifier: "UTC")
        } else {
            let sign = zone.hasPrefix("-") ? -1 : 1
            let digits = zone.dropFirst().replacingOccurrences(of: ":", with: "")
            let hours = Int(digits.prefix(2)) ?? 0
            let minutes = Int(digits.dropFirst(2)) ?? 0
            components.timeZone = TimeZone(secondsFromGMT: sign * (hours * 3600 + minutes * 60))
        }
        guard let whole = Calendar(identifier: .gregorian).date(from: components) else { return nil }
        return whole.addingTimeInterval(Double("0" + (group(7) ?? "")) ?? 0)
    }
}

extension ISO8601DateFormatter {
    /// ISO 8601 with fractional seconds.
    public static var fractional: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }

    /// ISO 8601 without fractional seconds.
    static var plain: ISO8601DateFormatter { ISO8601DateFormatter() }
}
