import DrillSupport
import Foundation
import Objects
import Restore

/// A folder of a bucket a physical backup reads (its base backups, or its WAL archive),
/// listed once when the drill is planned. Only small files are read then (manifests, labels,
/// backup history files); the rest is fetched into the drill's folder before restoring.
struct RemoteFolder: Sendable {
    var store: any BackupLocation
    /// `s3://bucket/prefix/`.
    var url: String
    /// The key prefix, ending in `/` (empty for a whole bucket).
    var prefix: String
    var objects: [StoredArtifact]

    /// `s3://bucket/prefix`, for messages.
    var name: String { String(url.dropLast()) }

    /// Lists `location` (`s3://BUCKET/PREFIX`, a folder; `what` names the key for messages).
    static func list(_ location: String, s3: S3Settings, what: String) async throws -> RemoteFolder {
        guard !location.contains(where: { LocationPattern.globCharacters.contains($0) }) else {
            throw ConfigError(file: location, message: "\(what) names a folder of the bucket, not a glob: write s3://BUCKET/PREFIX/")
        }
        let folder = location.hasSuffix("/") ? location : location + "/"
        let pattern = LocationPattern.parse(folder)
        let store = try await BackupLocations.open(pattern, s3: s3)
        let objects = try await BackupLocating.readable(folder, .listing) { try await store.list(pattern) }
        return RemoteFolder(store: store, url: folder, prefix: pattern.prefix, objects: objects)
    }

    /// The key below the folder.
    func relative(_ object: StoredArtifact) -> String { String(object.reference.dropFirst(prefix.count)) }

    /// The objects directly in the folder.
    var topLevel: [StoredArtifact] { objects.filter { !relative($0).contains("/") } }

    /// A small object whole.
    func read(_ object: StoredArtifact) async throws -> Data {
        let data: Data? = try await BackupLocating.readable(store.url(of: object.reference), .object) { try await store.readSmall(object.reference) }
        return data ?? Data()
    }

    /// A WAL archive's listing: segments by name, and its backup history files (read, they are small).
    func walArchive() async throws -> WALArchive {
        var archive = WALArchive(directory: name, segments: [:])
        for object in topLevel.sorted(by: { $0.name < $1.name }) {
            let base = WALArchive.stripCompression(object.name)
            if let segment = WALSegmentName(base) {
                archive.segments[segment] = object.name
            } else if base.hasSuffix(".backup"), let history = WALArchive.backupHistory(text: String(decoding: try await read(object), as: UTF8.self)) {
                archive.backupHistories.append(history)
            }
        }
        return archive
    }
}
