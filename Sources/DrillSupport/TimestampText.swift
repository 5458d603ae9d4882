import Foundation

/// Reads and writes the times of drill files, the command line and PostgreSQL output.
///
/// Accepts ISO 8601 (`2026-11-24T14:05:00Z`, with an offset) and PostgreSQL's form
/// (`2026-11-24 14:05:00.123456+00`). Every fractional digit is kept: a recovery target a few
/// microseconds after a commit must stay after it (ISO8601DateFormatter keeps milliseconds
/// only). A time without a zone is refused rather than guessed.
public enum TimestampText {
    private static let pattern = try! NSRegularExpression(
        pattern: #"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)$"#)

    /// The instant `text` names, or nil.
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let match = pattern.firstMatch(in: trimmed, range: NSRange(trimmed.startIndex..., in: trimmed)) else { return nil }
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
            let seconds = (Int(digits.prefix(2)) ?? 0) * 3600 + (Int(digits.dropFirst(2)) ?? 0) * 60
            components.timeZone = TimeZone(secondsFromGMT: sign * seconds)
        }
        guard let whole = Calendar(identifier: .gregorian).date(from: components) else { return nil }
        return whole.addingTimeInterval(Double("0" + (group(7) ?? "")) ?? 0)
    }

    /// `2026-11-24 16:17:36.728761+00`, the form `recovery_target_time` accepts (it rejects `T...Z`).
    public static func postgres(_ date: Date) -> String {
        let (day, clock, micros) = parts(date)
        return "\(day) \(clock).\(micros)+00"
    }

    /// `2026-11-24T16:17:36.728761Z`, for reports.
    public static func iso(_ date: Date) -> String {
        let (day, clock, micros) = parts(date)
        return "\(day)T\(clock).\(micros)Z"
    }

    private static func parts(_ date: Date) -> (String, String, String) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        let seconds = date.timeIntervalSince1970
        let whole = floor(seconds)
        var micros = Int(((seconds - whole) * 1_000_000).rounded())
        var instant = Date(timeIntervalSince1970: whole)
        if micros == 1_000_000 {
            micros = 0
            instant = instant.addingTimeInterval(1)
        }
        formatter.dateFormat = "yyyy-MM-dd"
        let day = formatter.string(from: instant)
        formatter.dateFormat = "HH:mm:ss"
        return (day, formatter.string(from: instant), String(format: "%06d", micros))
    }
}
