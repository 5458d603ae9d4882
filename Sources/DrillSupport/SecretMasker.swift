import Foundation
import Synchronization

/// Replaces every known secret, and the password part of DSNs and URLs, with `****`.
///
/// One process-wide instance: secrets are registered where they are resolved and every string
/// that leaves the process (log line, report, error message) passes through `mask(_:)`.
public final class SecretMasker: Sendable {
    /// The instance every output path uses.
    public static let shared = SecretMasker()

    private let secrets = Mutex<Set<String>>([])

    /// Creates an empty masker (tests use their own).
    public init() {}

    /// Remembers `secret` so it is masked from now on. Values shorter than 4 characters are
    /// masked too, but only where they stand as a whole word, so a secret "on" does not
    /// eat every "on" in a report.
    public func register(_ secret: String) {
        guard !secret.isEmpty else { return }
        secrets.withLock { _ = $0.insert(secret) }
    }

    /// True when `value` was registered as a secret.
    public func isSecret(_ value: String) -> Bool {
        secrets.withLock { $0.contains(value) }
    }

    /// `text` with every registered secret and every URL/DSN password replaced by `****`.
    public func mask(_ text: String) -> String {
        var result = Self.maskCredentials(in: text)
        let known = secrets.withLock { $0 }.sorted { $0.count > $1.count }
        for secret in known {
            if secret.count >= 4 {
                result = result.replacingOccurrences(of: secret, with: "****")
            } else {
                let pattern = "(?<![A-Za-z0-9])" + NSRegularExpression.escapedPattern(for: secret) + "(?![A-Za-z0-9])"
                result = result.replacingOccurrences(of: pattern, with: "****", options: .regularExpression)
            }
        }
        return result
    }

    /// Masks `scheme://user:password@host` and `password=...` forms even for secrets never registered.
    static func maskCredentials(in text: String) -> String {
        var result = text.replacingOccurrences(
            of: #"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^@\s/]*@"#, with: "$1:****@", options: .regularExpression)
        result = result.replacingOccurrences(
            of: #"(?i)\b(password|passwd|pwd|secret|token)\s*=\s*('[^']*'|"[^"]*"|[^\s&;]+)"#, with: "$1=****",
            options: .regularExpression)
        return result
    }
}
