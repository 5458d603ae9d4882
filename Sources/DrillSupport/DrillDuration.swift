import Foundation

/// Parses and prints the human durations used in drill and check files (`90s`, `15m`, `4h`, `1h30m`, `2d`).
public enum DrillDuration {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800),
    ]

    /// Parses `text` into a `Duration`, or returns nil when it is not a duration.
    ///
    /// A bare number is taken as seconds so that `timeout: 30` means what an operator expects.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty else { return nil }
        if let plain = Double(trimmed), plain >= 0 { return milliseconds(plain) }
        var total = 0.0
        var rest = Substring(trimmed)
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix { $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == String(letters) }) else { return nil }
            rest = rest.dropFirst(letters.count)
            total += value * unit.seconds
        }
        return milliseconds(total)
    }

    /// Durations up to 100 years; longer ones (or `1e400s`) are no durations a drill means, and
    /// would overflow the conversion (found by the fuzzer: a 70-digit timeout trapped).
    static func milliseconds(_ seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= 100 * 365 * 86400 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// A short human form: `850ms`, `12.3s`, `4m05s`, `2h03m`.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        if whole < 86400 { return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60) }
        return String(format: "%dd%02dh", whole / 86400, (whole % 86400) / 3600)
    }
}

extension Duration {
    /// The duration as fractional seconds, for reports and arithmetic.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
