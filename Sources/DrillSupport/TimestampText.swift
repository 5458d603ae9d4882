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
        var bytes: [UInt8] = []
        appendISO(date, to: &bytes)
        // The same digits: a blank for the `T`, `+00` for the `Z`.
        bytes[bytes.firstIndex(of: UInt8(ascii: "T"))!] = UInt8(ascii: " ")
        bytes.removeLast()
        return String(decoding: bytes, as: UTF8.self) + "+00"
    }

    /// `2026-11-24T16:17:36.728761Z`, for reports.
    public static func iso(_ date: Date) -> String {
        var bytes: [UInt8] = []
        appendISO(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `iso(date)`'s bytes appended to `bytes`, by arithmetic: a DateFormatter per call (ICU
    /// builds its symbol tables each time) cost more than hashing a small object, and a manifest
    /// line is written without a String per field.
    public static func appendISO(_ date: Date, to bytes: inout [UInt8]) {
        let (whole, micros) = secondsAndMicros(date)
        let days = whole >= 0 ? whole / 86_400 : -((-whole + 86_399) / 86_400)
        let secondOfDay = Int(whole - days * 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            if rest >= divisor * 10 {
                bytes += Array(String(rest).utf8)
                return
            }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        if year < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(Int(abs(year)), 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(micros, 6)
        bytes.append(UInt8(ascii: "Z"))
    }

    private static func secondsAndMicros(_ date: Date) -> (Int64, Int) {
        let seconds = date.timeIntervalSince1970
        var whole = Int64(floor(seconds))
        var micros = Int(((seconds - Double(whole)) * 1_000_000).rounded())
        if micros == 1_000_000 {
            micros = 0
            whole += 1
        }
        return (whole, micros)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
