import Foundation
import Synchronization

/// Replaces every known secret, and the password part of DSNs and URLs, with `****`.
///
/// One process-wide instance: secrets are registered where they are resolved and every string
/// that leaves the process (log line, report, error message) passes through `mask(_:)` as a
/// value, before it is encoded (JSON, XML), so an escaped form can never slip past.
public final class SecretMasker: Sendable {
    /// The instance every output path uses.
    public static let shared = SecretMasker()

    /// Secrets shorter than this cannot be masked without mangling ordinary text (a secret "1"
    /// would turn every number into `****`): references to them are refused.
    public static let minimumLength = 4

    private let secrets = Mutex<Set<String>>([])

    /// Creates an empty masker (tests use their own).
    public init() {}

    /// Remembers `secret` so it is masked from now on, and each of its lines on its own (a tool
    /// may print one line of a multi-line secret). Values under `minimumLength` are ignored:
    /// they are refused where they are resolved.
    public func register(_ secret: String) {
        var values = [secret]
        if secret.contains(where: \.isNewline) {
            values += secret.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let kept = values.filter { $0.count >= Self.minimumLength }
        guard !kept.isEmpty else { return }
        secrets.withLock { $0.formUnion(kept) }
    }

    /// True when `value` was registered as a secret.
    public func isSecret(_ value: String) -> Bool {
        secrets.withLock { $0.contains(value) }
    }

    /// `text` with every registered secret and every URL/DSN password replaced by `****`.
    public func mask(_ text: String) -> String {
        var result = Self.maskCredentials(in: text)
        let known = secrets.withLock { $0 }.sorted { $0.count > $1.count }
        for secret in known where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "****")
        }
        return result
    }

    /// `json` with every string value masked as a value: each string token is decoded, masked
    /// and, when that changed it, encoded again. A secret holding `"` or `\` is therefore masked
    /// although the JSON text holds it escaped. Linear in the length of `json`.
    public func maskJSONStrings(_ json: String) -> String {
        let bytes = Array(json.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\"") else {
                output.append(bytes[index])
                index += 1
                continue
            }
            var end = index + 1
            while end < bytes.count && bytes[end] != UInt8(ascii: "\"") { end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1 }
            end = min(end, bytes.count - 1)
            let token = Array(bytes[index...end])
            if let value = try? JSONDecoder().decode(String.self, from: Data(token)) {
                let masked = mask(value)
                output += masked == value ? token : Self.jsonString(masked)
            } else {
                output += token
            }
            index = end + 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func jsonString(_ value: String) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += Array("\\\"".utf8)
            case "\\": output += Array("\\\\".utf8)
            case "\n": output += Array("\\n".utf8)
            case "\r": output += Array("\\r".utf8)
            case "\t": output += Array("\\t".utf8)
            case _ where scalar.value < 0x20: output += Array(String(format: "\\u%04x", scalar.value).utf8)
            default: output += Array(String(scalar).utf8)
            }
        }
        return output + [UInt8(ascii: "\"")]
    }

    /// Masks `scheme://user:password@host` and `password=...` forms even for secrets never
    /// registered. The URL form is found by a linear scan from each `://` (a regular expression
    /// with a leading scheme pattern backtracked quadratically over long runs of letters).
    static func maskCredentials(in text: String) -> String {
        var result = maskURLPasswords(in: text)
        if result.range(of: "(?i)(password|passwd|pwd|secret|token)\\s*=", options: .regularExpression) != nil {
            result = result.replacingOccurrences(
                of: #"(?i)\b(password|passwd|pwd|secret|token)\s*=\s*('[^']*'|"[^"]*"|[^\s&;]+)"#, with: "$1=****",
                options: .regularExpression)
        }
        // SQL's `PASSWORD 'value'`: a roles file's SCRAM verifiers (or a hand-written one's plain
        // passwords), echoed back in psql's errors and the server log's STATEMENT lines.
        if result.range(of: #"(?i)\bpassword\s+'"#, options: .regularExpression) != nil {
            result = result.replacingOccurrences(of: #"(?i)\b(password)\s+'(?:[^']|'')*'"#, with: "$1 '****'", options: .regularExpression)
        }
        return result
    }

    static func maskURLPasswords(in text: String) -> String {
        guard text.contains("://") else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while index < bytes.count {
            guard index + 3 <= bytes.count, bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/"),
                bytes[index + 2] == UInt8(ascii: "/"), index > 0, Self.isSchemeCharacter(bytes[index - 1])
            else {
                output.append(bytes[index])
                index += 1
                continue
            }
            output += bytes[index..<index + 3]
            var cursor = index + 3
            while cursor < bytes.count, !isSpace(bytes[cursor]), ![UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "@")].contains(bytes[cursor]) {
                cursor += 1
            }
            output += bytes[(index + 3)..<cursor]
            index = cursor
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") else { continue }
            var end = cursor + 1
            while end < bytes.count, !isSpace(bytes[end]), bytes[end] != UInt8(ascii: "@"), bytes[end] != UInt8(ascii: "/") { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: "@") {
                output += Array(":****@".utf8)
                index = end + 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func isSchemeCharacter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2E
            || byte == 0x2D
    }
}
