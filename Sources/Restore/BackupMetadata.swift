import DrillSupport
import Foundation

/// What was recorded about a backup when it was taken: the ground truth a drill verifies against.
///
/// Written by `restore-drill record ARTIFACT` as `ARTIFACT.restore-drill.json` next to the artifact.
public struct BackupMetadata: Sendable, Codable, Equatable {
    /// Version of this file's layout.
    public var schemaVersion: Int = 1
    /// File name of the artifact the metadata belongs to.
    public var artifact: String
    /// pg_dump format (`custom`, `directory`, `tar`, `plain`), or `basebackup`.
    public var format: String
    /// Outer compression.
    public var compression: Compression
    /// The pg_dump format, when the artifact is a dump.
    public var dumpFormat: DumpFormat? { DumpFormat(rawValue: format) }

    /// Exact size in bytes (for a directory archive, the sum of its files).
    public var size: Int64
    /// SHA-256 (for a directory archive, of its `sha256sum`-style listing).
    public var sha256: String
    /// When the backup was taken (pg_dump's "Archive created at", else the file time).
    public var createdAt: Date?
    /// Server version the dump came from.
    public var serverVersion: String?
    /// Database name the dump came from.
    public var database: String?
    /// Who wrote the metadata.
    public var recordedBy: String = "restore-drill"
    /// What the dump holds (objects, rows; with `record --source`, the source's fingerprints).
    public var inventory: BackupInventory?
    /// Base backups: the source's fingerprints at named restore points (`record --restore-point`).
    public var restorePoints: [String: SourceFingerprints]?

    /// Creates metadata.
    public init(
        artifact: String, format: String, compression: Compression, size: Int64, sha256: String, createdAt: Date?,
        serverVersion: String?, database: String?
    ) {
        self.artifact = artifact
        self.format = format
        self.compression = compression
        self.size = size
        self.sha256 = sha256
        self.createdAt = createdAt
        self.serverVersion = serverVersion
        self.database = database
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", artifact, format, compression, size, sha256
        case createdAt = "created_at", serverVersion = "server_version", database
        case recordedBy = "recorded_by", inventory, restorePoints = "restore_points"
    }

    /// The sidecar path for an artifact.
    public static func sidecarPath(for artifactPath: String) -> String {
        var path = artifactPath
        while path.hasSuffix("/") { path.removeLast() }
        return path + ".restore-drill.json"
    }

    /// Reads a metadata file; errors name the file and what is wrong.
    public static func load(path: String) throws(ConfigError) -> BackupMetadata {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, message: "the backup metadata file cannot be read")
        }
        return try decode(data, from: path)
    }

    /// Decodes metadata read from `source` (a path or URL, for messages).
    public static func decode(_ data: Data, from path: String) throws(ConfigError) -> BackupMetadata {
        do {
            return try JSONDecoder.drill.decode(BackupMetadata.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw ConfigError(file: path, message: "the backup metadata lacks '\(key.stringValue)'")
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigError(file: path, message: "the backup metadata is not valid: \(context.debugDescription)")
        } catch {
            throw ConfigError(file: path, message: "the backup metadata is not valid: \(error)")
        }
    }

    /// The metadata as pretty, stable JSON.
    public func encoded() throws -> Data { try JSONEncoder.drill.encode(self) }
}
