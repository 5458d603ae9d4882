import DrillSupport
import Foundation
import Objects
import Reports

/// Judges one bucket's configuration against the posture section: one case per rule, the
/// observed configuration in its output or message. A setting the credentials may not read is
/// an error naming the S3 action, never a pass.
struct PostureRules {
    var bucket: PostureSection.Bucket
    var section: PostureSection
    /// How old the drilled backup is, when known: lifecycle rules must keep it too.
    var backupAge: Duration?

    var label: String {
        let roles = bucket.roles.filter { $0 != "bucket" }
        return (roles.isEmpty ? "" : roles.joined(separator: ", ") + " ") + "bucket \(bucket.bucketURL)"
    }

    /// Whole days, rounded up.
    static func days(_ duration: Duration) -> Int { Int((duration.seconds / 86_400).rounded(.up)) }

    func cases(_ settings: BucketSettings) -> [ReportCase] {
        [versioning(settings), lifecycle(settings.lifecycle), encryption(settings.encryption), publicAccess(settings.publicAccessBlock), policy(settings.policy)]
    }

    /// A setting that could not be read: error, with the action to grant.
    private func unread<T>(_ name: String, _ reading: BucketSettings.Reading<T>) -> ReportCase? {
        switch reading {
        case .refused(let action, let message):
            return ReportCase(
                name: name, status: .error,
                message: "the drill's credentials may not read this setting of \(bucket.bucketURL) (\(message)): grant them \(action) to have it checked")
        case .failed(let message):
            return ReportCase(name: name, status: .error, message: "cannot read this setting of \(bucket.bucketURL): \(message)")
        case .value, .notSet: return nil
        }
    }

    func versioning(_ settings: BucketSettings) -> ReportCase {
        let name = "\(label): versioning is enabled"
        if let problem = unread(name, settings.versioning) { return problem }
        var lock = "object lock: not configured"
        switch settings.objectLock {
        case .value(let value):
            let period = value.days.map { "\($0) days" } ?? value.years.map { "\($0) years" }
            lock = value.enabled ? "object lock: enabled\(value.mode.map { ", \($0)" } ?? "")\(period.map { " for \($0)" } ?? "")" : "object lock: not enabled"
        case .refused(let action, _): lock = "object lock: not readable (grant \(action))"
        case .notSet, .failed: break
        }
        guard case .value(let value) = settings.versioning, value.status == "Enabled" else {
            var status = "never enabled"
            if case .value(let value) = settings.versioning, let current = value.status { status = current }
            return ReportCase(
                name: name, status: .failed,
                message: "versioning of \(bucket.bucketURL) is \(status): an overwritten or deleted backup is gone at once, and the objects cannot be read as of a recovery point. Enable it (aws s3api put-bucket-versioning --bucket \(bucket.bucketURL.dropFirst(5)) --versioning-configuration Status=Enabled)",
                output: lock)
        }
        return ReportCase(name: name, status: .passed, output: "Status Enabled; MFA delete: \(value.mfaDelete ?? "Disabled"); \(lock)")
    }

    func lifecycle(_ reading: BucketSettings.Reading<[BucketSettings.LifecycleRule]>) -> ReportCase {
        let retentionDays = Self.days(section.retention)
        let name = "\(label): lifecycle rules keep backups for \(retentionDays) days"
        if let problem = unread(name, reading) { return problem }
        guard case .value(let rules) = reading, !rules.isEmpty else {
            return ReportCase(
                name: name, status: .passed,
                output: "no lifecycle rules: nothing expires (the baseline also asks for a rule that removes what is older than the retention window)")
        }
        let backupDays = backupAge.map(Self.days)
        let needed = max(retentionDays, backupDays ?? 0)
        let why = backupDays.map { $0 > retentionDays ? "the drilled backup is \($0) days old and WAL replay depends on it" : "posture.retention" } ?? "posture.retention"
        var problems: [String] = []
        var judged: [String] = []
        var ignored: [String] = []
        for rule in rules {
            guard rule.enabled else { ignored.append("\(rule.id) (disabled)"); continue }
            let applies = bucket.prefixes.contains { $0.hasPrefix(rule.prefix) || rule.prefix.hasPrefix($0) }
            guard applies else { ignored.append("\(rule.id) (prefix \(rule.prefix), not the drill's)"); continue }
            var parts: [String] = []
            if let days = rule.expirationDays {
                parts.append("current objects expire after \(days) days")
                if days < needed { problems.append("rule \(rule.id) expires current objects after \(days) days") }
            }
            if let date = rule.expirationDate {
                parts.append("current objects expire on \(date)")
                if let when = ISO8601DateFormatter().date(from: date), when < Date().addingTimeInterval(Double(needed) * 86_400) {
                    problems.append("rule \(rule.id) expires current objects on \(date)")
                }
            }
            if let days = rule.noncurrentDays {
                parts.append("noncurrent versions expire after \(days) days")
                if days < needed { problems.append("rule \(rule.id) expires noncurrent versions after \(days) days") }
            }
            judged.append("\(rule.id) on '\(rule.prefix)'\(rule.narrowed ? " (narrowed by tags or sizes)" : ""): \(parts.isEmpty ? "expires nothing" : parts.joined(separator: ", "))")
        }
        let output = (judged + ignored.map { "ignored: \($0)" }).joined(separator: "\n")
        guard problems.isEmpty else {
            return ReportCase(
                name: name, status: .failed,
                message: "\(problems.joined(separator: "; ")): backups must be kept at least \(needed) days (\(why)). Lengthen the rule, or shorten posture.retention only if the RPO and PITR window allow it",
                output: output)
        }
        return ReportCase(name: name, status: .passed, output: output.isEmpty ? "no rule applies to the drill's prefixes" : output)
    }

    func encryption(_ reading: BucketSettings.Reading<[BucketSettings.Encryption]>) -> ReportCase {
        let required = section.kmsKey.map { "\(section.encryption ?? "aws:kms") with key \($0)" } ?? section.encryption
        let name = "\(label): default encryption\(required.map { " is \($0)" } ?? " is on")"
        if let problem = unread(name, reading) { return problem }
        guard case .value(let rules) = reading, let rule = rules.first else {
            return ReportCase(
                name: name, status: .failed,
                message: "\(bucket.bucketURL) has no default encryption: backups are stored as uploaded. Set SSE-S3 or SSE-KMS (aws s3api put-bucket-encryption)")
        }
        let observed = rules.map { "\($0.algorithm)\($0.kmsKey.map { " (key \($0))" } ?? "")" }.joined(separator: ", ")
        if let algorithm = section.encryption, rule.algorithm != algorithm {
            return ReportCase(name: name, status: .failed, message: "\(bucket.bucketURL) encrypts by default with \(observed), not \(algorithm)", output: observed)
        }
        if let key = section.kmsKey, !Self.sameKey(rule.kmsKey, key) {
            return ReportCase(
                name: name, status: .failed,
                message: "\(bucket.bucketURL) encrypts by default with \(observed), not with key \(key)", output: observed)
        }
        return ReportCase(name: name, status: .passed, output: observed)
    }

    /// A key named by ARN, `key/ID`, bare ID or alias matches the bucket's when both name the same key id or alias.
    static func sameKey(_ configured: String?, _ required: String) -> Bool {
        guard let configured else { return false }
        func identity(_ name: String) -> String {
            for marker in ["key/", "alias/"] {
                if let range = name.range(of: marker, options: .backwards) { return marker + name[range.upperBound...] }
            }
            return "key/" + name
        }
        return configured == required || identity(configured) == identity(required)
    }

    func publicAccess(_ reading: BucketSettings.Reading<BucketSettings.PublicAccessBlock>) -> ReportCase {
        let name = "\(label): public access is blocked"
        if let problem = unread(name, reading) { return problem }
        guard case .value(let block) = reading else {
            return ReportCase(
                name: name, status: .failed,
                message: "\(bucket.bucketURL) has no public access block: an ACL or policy could expose the backups. Block all four (aws s3api put-public-access-block)")
        }
        let flags = [
            ("BlockPublicAcls", block.blockPublicAcls), ("IgnorePublicAcls", block.ignorePublicAcls), ("BlockPublicPolicy", block.blockPublicPolicy),
            ("RestrictPublicBuckets", block.restrictPublicBuckets),
        ]
        let output = flags.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
        let off = flags.filter { !$0.1 }.map(\.0)
        guard off.isEmpty else {
            return ReportCase(name: name, status: .failed, message: "\(bucket.bucketURL) leaves \(off.joined(separator: ", ")) off: block all four", output: output)
        }
        return ReportCase(name: name, status: .passed, output: output)
    }

    func policy(_ reading: BucketSettings.Reading<String>) -> ReportCase {
        let name = "\(label): the bucket policy grants nothing to everyone"
        if let problem = unread(name, reading) { return problem }
        guard case .value(let text) = reading else { return ReportCase(name: name, status: .passed, output: "no bucket policy") }
        let open = Self.publicStatements(text)
        guard open.isEmpty else {
            return ReportCase(
                name: name, status: .failed,
                message: "the policy of \(bucket.bucketURL) allows \(open.joined(separator: "; ")) to any principal without a condition: the backups are public",
                output: text)
        }
        return ReportCase(name: name, status: .passed, output: "no statement allows everyone without a condition")
    }

    /// Statements that allow `*` (or `{"AWS": "*"}`) without a condition, by Sid and actions; a policy that does not parse counts as public.
    static func publicStatements(_ text: String) -> [String] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return ["a policy this drill cannot read"] }
        let statements = (json["Statement"] as? [[String: Any]]) ?? ((json["Statement"] as? [String: Any]).map { [$0] } ?? [])
        return statements.compactMap { statement in
            guard statement["Effect"] as? String == "Allow", statement["Condition"] == nil else { return nil }
            let principal = statement["Principal"]
            let everyone: Bool
            if let text = principal as? String {
                everyone = text == "*"
            } else if let map = principal as? [String: Any] {
                let aws = map["AWS"]
                everyone = (aws as? String) == "*" || ((aws as? [String])?.contains("*") ?? false)
            } else {
                everyone = false
            }
            guard everyone else { return nil }
            let actions = (statement["Action"] as? String).map { [$0] } ?? (statement["Action"] as? [String] ?? [])
            return "\((statement["Sid"] as? String).map { "statement \($0)" } ?? "a statement") (\(actions.joined(separator: ", ")))"
        }
    }
}
