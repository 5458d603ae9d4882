import DrillSupport
import Foundation

/// What a drill asks of a configuration bundle: keys present and non-empty, values unchanged
/// since they were fingerprinted, references resolved. Every answer is names only.
public enum ConfigRules {
    /// Patterns (`DATABASE_URL`, `SMTP_*`, `Secret/app-db/*`) no name matches, and names matched whose value is empty.
    public static func requiredKeys(_ values: ConfigValues, _ patterns: [String]) -> (missing: [String], empty: [String]) {
        var missing: [String] = []
        var empty: [String] = []
        for pattern in patterns {
            let matched = values.entries.filter { fnmatch(pattern, $0.name, 0) == 0 }
            if matched.isEmpty { missing.append(pattern) }
            for entry in matched where entry.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && !empty.contains(entry.name) {
                empty.append(entry.name)
            }
        }
        return (missing, empty)
    }

    /// HMAC-SHA256 of each value under `key`, with its name (so two values cannot swap), as hex.
    public static func fingerprints(_ values: ConfigValues, key: String) -> [String: String] {
        var found: [String: String] = [:]
        for entry in values.entries {
            found[entry.name] = HMACSHA256.authenticate(Array(entry.name.utf8) + [0] + Array(entry.value.utf8), key: Array(key.utf8)).hex
        }
        return found
    }

    /// Names whose value changed, and names recorded but gone.
    public static func compare(recorded: [String: String], current: [String: String]) -> (changed: [String], gone: [String]) {
        var changed: [String] = []
        var gone: [String] = []
        for (name, fingerprint) in recorded.sorted(by: { $0.key < $1.key }) {
            guard let now = current[name] else { gone.append(name); continue }
            if now != fingerprint { changed.append(name) }
        }
        return (changed, gone)
    }

    /// References of workloads that the bundle does not hold: "Deployment/api needs Secret app-db".
    public static func unresolvedReferences(_ values: ConfigValues) -> [String] {
        let present = Set(values.objects.map { "\($0.kind)/\($0.name)" })
        let names = Set(values.names)
        var problems: [String] = []
        for object in values.objects {
            for reference in object.references where !reference.optional {
                let target = "\(reference.kind)/\(reference.name)"
                if !present.contains(target) {
                    problems.append("\(object.kind)/\(object.name) needs \(reference.kind) \(reference.name), which the bundle does not hold")
                } else if let key = reference.key, !names.contains(target + "/" + key) {
                    problems.append("\(object.kind)/\(object.name) needs key \(key) of \(reference.kind) \(reference.name), which has no such key")
                }
            }
        }
        return problems
    }
}
