import ConfigBundles
import DrillSupport
import Foundation

/// The drill file's `config:` section: configuration and secrets backups (bundles) to fetch,
/// verify, decrypt and check, and the keys a restore needs (secret references that must resolve).
public struct ConfigSection: Sendable {
    public struct Bundle: Sendable {
        public var name: String
        /// A path (resolved) or `s3://BUCKET/KEY`.
        public var location: String
        public var format: ConfigFormat
        /// Name patterns that must be present with a value.
        public var requiredKeys: [String]
        var encryption: ArtifactDecryption?
        var s3: S3Settings
    }

    public struct Key: Sendable {
        public var name: String
        public var reference: String
        public var timeout: Duration
    }

    public var bundles: [Bundle]
    public var keys: [Key]
    /// The key the fingerprints were made with, by reference.
    public var fingerprintKey: String?
}

enum ConfigSectionParsing {
    static func parse(_ node: YAMLValue?, baseDirectory: String) throws(ConfigError) -> ConfigSection? {
        guard let node else { return nil }
        try node.rejectUnknownKeys(["bundles", "keys", "fingerprint_key"])
        var fingerprintKey: String?
        if let value = node["fingerprint_key"] {
            guard SecretReference.parse(try value.string()) != nil else { throw value.error("give fingerprint_key by reference: env:NAME, file:PATH or command:CMD") }
            fingerprintKey = try value.string()
        }
        var bundles: [ConfigSection.Bundle] = []
        for (index, item) in (try node["bundles"]?.sequence() ?? []).enumerated() {
            try item.rejectUnknownKeys(Set(["name", "location", "format", "required_keys", "encryption"] + S3Settings.keys))
            let formatNode = try item.required("format", hint: ConfigFormat.allCases.map(\.rawValue).joined(separator: ", "))
            guard let format = ConfigFormat(rawValue: try formatNode.string()) else {
                throw formatNode.error("expected one of \(ConfigFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var location = try item.required("location", hint: "a path, or s3://BUCKET/KEY").string()
            if !location.hasPrefix("s3://") { location = DrillPlanner.resolvePath(location, base: baseDirectory) }
            var encryption: ArtifactDecryption?
            if let node = item["encryption"] {
                encryption = try ArtifactDecryption.parse(node)
                encryption?.keyPath = "config.bundles[\(index)].encryption"
            }
            bundles.append(
                ConfigSection.Bundle(
                    name: try item["name"]?.string() ?? (location as NSString).lastPathComponent, location: location, format: format,
                    requiredKeys: try item["required_keys"]?.stringList() ?? [], encryption: encryption,
                    s3: try S3Settings.parse(item, baseDirectory: baseDirectory)))
        }
        var keys: [ConfigSection.Key] = []
        for item in try node["keys"]?.sequence() ?? [] {
            try item.rejectUnknownKeys(["name", "reference", "timeout"])
            let referenceNode = try item.required("reference", hint: "command:vault kv get ..., env:NAME or file:PATH")
            guard SecretReference.parse(try referenceNode.string()) != nil else { throw referenceNode.error("expected env:NAME, file:PATH or command:CMD") }
            let reference = try referenceNode.string()
            keys.append(
                ConfigSection.Key(name: try item["name"]?.string() ?? reference, reference: reference, timeout: try item["timeout"]?.duration() ?? .seconds(10)))
        }
        if bundles.isEmpty && keys.isEmpty { throw node.error("config: lists bundles (configuration backups to check) or keys (secret references that must resolve)") }
        return ConfigSection(bundles: bundles, keys: keys, fingerprintKey: fingerprintKey)
    }
}
