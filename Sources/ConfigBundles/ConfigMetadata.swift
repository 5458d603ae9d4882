import Foundation

/// What `restore-drill record --config` writes beside a configuration bundle
/// (`BUNDLE.restore-drill.json`): the stored file's size and SHA-256, and an HMAC of each value
/// under a key the drill holds, so a changed or emptied secret is found without any value
/// being stored or shown.
public struct ConfigMetadata: Codable, Sendable, Equatable {
    public var kind = "config"
    public var schemaVersion = 1
    public var artifact: String
    public var format: String
    public var size: Int64
    public var sha256: String
    public var createdAt: Date?
    /// Value name → HMAC-SHA256 hex (see `ConfigRules.fingerprints`).
    public var fingerprints: [String: String]
    public var recordedBy = "restore-drill"

    public init(artifact: String, format: String, size: Int64, sha256: String, createdAt: Date?, fingerprints: [String: String]) {
        self.artifact = artifact
        self.format = format
        self.size = size
        self.sha256 = sha256
        self.createdAt = createdAt
        self.fingerprints = fingerprints
    }

    enum CodingKeys: String, CodingKey {
        case kind, artifact, format, size, sha256, fingerprints
        case schemaVersion = "schema_version"
        case createdAt = "created_at"
        case recordedBy = "recorded_by"
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Reads a sidecar; nil when it is not a configuration bundle's.
    public static func decode(_ data: Data) -> ConfigMetadata? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let metadata = try? decoder.decode(ConfigMetadata.self, from: data), metadata.kind == "config" else { return nil }
        return metadata
    }
}
