import DrillSupport
import Foundation

/// Escapes text for XML attributes and content, dropping characters XML 1.0 forbids
/// (control characters from tool output would make the whole report unreadable).
enum XMLText {
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in SecretMasker.shared.mask(text).unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                let allowed = (0x20...0xD7FF).contains(value) || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
                if allowed { result.unicodeScalars.append(scalar) } else { result += "\u{FFFD}" }
            }
        }
        return result
    }

    /// Seconds with three decimals, the form the schema's SUREFIRE_TIME accepts.
    static func seconds(_ value: Double) -> String { String(format: "%.3f", max(0, value)) }
}
