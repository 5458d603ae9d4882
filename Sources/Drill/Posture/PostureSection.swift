import DrillSupport
import Foundation
import Objects

/// The drill file's `posture:` section: read-only checks of how the buckets keep the backups
/// (versioning, lifecycle retention, default encryption, public access, the drill's own access).
public struct PostureSection: Sendable {
    /// One bucket to check.
    public struct Bucket: Sendable {
        /// What the drill file calls it: `backup`, `wal_archive`, `objects` (joined when they share a bucket), or `bucket`.
        public var roles: [String]
        /// `s3://bucket`.
        public var bucketURL: String
        /// Key prefixes the drill reads there (lifecycle rules are judged on them).
        public var prefixes: [String]
        var settings: S3Settings
    }

    /// How long backups must be kept: covers the RPO target and the PITR window.
    public var retention: Duration
    public var buckets: [Bucket]
    /// A default-encryption algorithm the buckets must use (`AES256`, `aws:kms`); nil: any.
    public var encryption: String?
    /// A KMS key the buckets' default encryption must name (its ARN, id or alias).
    public var kmsKey: String?
    /// Prove the credentials cannot write, with a request that cannot store anything.
    public var writeProbe: Bool
}

enum PostureParsing {
    static let roles = ["backup", "wal_archive", "objects"]

    static func parse(_ node: YAMLValue?, file: DrillFile) throws(ConfigError) -> PostureSection? {
        guard let node else { return nil }
        try node.rejectUnknownKeys(["retention", "buckets", "encryption", "kms_key", "write_probe"])
        let retentionNode = try node.required("retention", hint: "how long backups must be kept, e.g. 35d (at least targets.rpo and the PITR window)")
        let retention = try retentionNode.duration()
        if retention < file.targets.rpo {
            throw retentionNode.error(
                "\(DrillDuration.format(retention)) is shorter than targets.rpo (\(DrillDuration.format(file.targets.rpo))): backups kept for less than the RPO cannot meet it")
        }
        var encryption = try node["encryption"]?.string()
        if let value = encryption, !["AES256", "aws:kms", "aws:kms:dsse"].contains(value) {
            throw node["encryption"]!.error("expected AES256, aws:kms or aws:kms:dsse")
        }
        let kmsKey = try node["kms_key"]?.string()
        if kmsKey != nil, encryption == nil { encryption = "aws:kms" }
        var found: [(role: String, url: String, settings: S3Settings)] = []
        if let list = node["buckets"] {
            for item in try list.sequence() {
                if item.isMapping {
                    try item.rejectUnknownKeys(Set(["store"] + S3Settings.keys))
                    let store = try item.required("store", hint: "s3://BUCKET[/PREFIX]").string()
                    guard store.hasPrefix("s3://") else { throw item.error("posture checks buckets: store is s3://BUCKET[/PREFIX]") }
                    found.append(("bucket", store, try S3Settings.parse(item, baseDirectory: file.baseDirectory)))
                } else {
                    let role = try item.string()
                    guard roles.contains(role) else { throw item.error("expected one of \(roles.joined(separator: ", ")), or {store: s3://BUCKET, ...}") }
                    guard let named = named(role, file) else { throw item.error("\(role) is not an s3:// location in this drill file") }
                    found.append((role, named.url, named.settings))
                }
            }
        } else {
            found = roles.compactMap { role in named(role, file).map { (role, $0.url, $0.settings) } }
        }
        guard !found.isEmpty else {
            throw node.error("posture checks buckets, and this drill file reads none: list them in posture.buckets ({store: s3://BUCKET, endpoint: ...})")
        }
        var buckets: [PostureSection.Bucket] = []
        for item in found {
            let pattern = LocationPattern.parse(item.url)
            guard let bucketURL = pattern.bucketURL else { continue }
            if let index = buckets.firstIndex(where: { $0.bucketURL == bucketURL }) {
                if !buckets[index].roles.contains(item.role) { buckets[index].roles.append(item.role) }
                if !buckets[index].prefixes.contains(pattern.prefix) { buckets[index].prefixes.append(pattern.prefix) }
            } else {
                buckets.append(PostureSection.Bucket(roles: [item.role], bucketURL: bucketURL, prefixes: [pattern.prefix], settings: item.settings))
            }
        }
        return PostureSection(
            retention: retention, buckets: buckets, encryption: encryption, kmsKey: kmsKey, writeProbe: try node["write_probe"]?.bool() ?? false)
    }

    /// The bucket location a role names, and how to reach it.
    private static func named(_ role: String, _ file: DrillFile) -> (url: String, settings: S3Settings)? {
        switch role {
        case "backup": return file.backup.location.hasPrefix("s3://") ? (file.backup.location, file.backup.s3) : nil
        case "wal_archive": return file.backup.walArchive.flatMap { $0.hasPrefix("s3://") ? ($0, file.backup.s3) : nil }
        default:
            guard let objects = file.objects, objects.spec.url.hasPrefix("s3://") else { return nil }
            var settings = S3Settings()
            settings.spec = objects.spec
            return (objects.spec.url, settings)
        }
    }
}
