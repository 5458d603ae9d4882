import DrillSupport
import Foundation
import Objects

/// One file of a backup as its store lists it.
struct StoredArtifact: Sendable, Equatable {
    /// The file's name (its last path component).
    var name: String
    /// A local path, or an object key inside the bucket.
    var reference: String
    var size: Int64
    var modified: Date
    /// The files of a directory-format dump in a bucket (the folder is one artifact); empty for a file.
    var members: [StoredArtifact] = []

    /// Folders holding a directory-format dump (`toc.dat` at their top) become one artifact
    /// each, of all their files; other files stay as they are.
    static func groupingDirectoryDumps(_ listed: [StoredArtifact]) -> [StoredArtifact] {
        let folders = Set(listed.filter { $0.name == "toc.dat" }.map { String($0.reference.dropLast("toc.dat".count)) })
            .sorted { $0.count > $1.count }
        guard !folders.isEmpty else { return listed }
        var dumps: [String: [StoredArtifact]] = [:]
        var files: [StoredArtifact] = []
        for artifact in listed {
            // The innermost dump folder holding the file.
            if let folder = folders.first(where: { artifact.reference.hasPrefix($0) }) { dumps[folder, default: []].append(artifact) } else { files.append(artifact) }
        }
        return files
            + dumps.sorted { $0.key < $1.key }.map { folder, members in
                let reference = String(folder.dropLast())
                return StoredArtifact(
                    name: reference.isEmpty ? "dump" : (reference as NSString).lastPathComponent, reference: reference,
                    size: members.reduce(0) { $0 + $1.size }, modified: members.map(\.modified).max() ?? .distantPast, members: members)
            }
    }
}

/// Where a backup's files live, read-only: a local folder or an S3 bucket. A drill lists,
/// reads and streams; it never writes, renames or deletes there. Decryption is a stage of
/// the fetch (`ArtifactFetch`), not of the location.
protocol BackupLocation: Sendable {
    /// `s3://bucket/prefix` or the folder, for messages.
    var description: String { get }
    /// Every file `pattern` matches, sidecars (`*.restore-drill.json`) left out.
    func list(_ pattern: LocationPattern) async throws -> [StoredArtifact]
    /// A small file (a sidecar) whole, or nil when there is none.
    func readSmall(_ reference: String) async throws -> Data?
    /// The first `count` bytes of a file (fewer when it is shorter).
    func readHead(_ reference: String, count: Int) async throws -> Data
    /// Streams a file's bytes into `sink` (on a thread of its own); `sink` returns false to stop.
    func stream(_ artifact: StoredArtifact, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws
    /// A URL-like name for one file (`s3://bucket/key`, or its path).
    func url(of reference: String) -> String
}

/// `backup.location` taken apart: the store, a literal prefix, and a glob over what follows.
struct LocationPattern: Sendable, Equatable {
    /// `s3://bucket` (nil for local files).
    var bucketURL: String?
    /// The part of the key or path before the first glob character (up to a `/`).
    var prefix: String
    /// The whole key or path as a glob; nil when the location names one file.
    var glob: String?
    /// True when the location ends in `/`: every file under the prefix is a candidate.
    var isPrefix: Bool

    /// True when the location can name several backups (selection applies).
    var namesSeveral: Bool { glob != nil || isPrefix }

    static let globCharacters: Set<Character> = ["*", "?", "["]

    /// Parses `s3://bucket/key`, `s3://bucket/prefix/`, `s3://bucket/app/*.dump`, or a resolved local path or glob.
    static func parse(_ location: String) -> LocationPattern {
        if location.hasPrefix("s3://") {
            let rest = location.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            let key = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
            return split(key, bucketURL: "s3://" + bucket)
        }
        return split(location, bucketURL: nil)
    }

    private static func split(_ path: String, bucketURL: String?) -> LocationPattern {
        let isPrefix = (bucketURL != nil && path.isEmpty) || path.hasSuffix("/")
        guard let first = path.firstIndex(where: { globCharacters.contains($0) }) else {
            return LocationPattern(bucketURL: bucketURL, prefix: path, glob: nil, isPrefix: isPrefix)
        }
        let literal = path[..<first]
        let prefix = literal.lastIndex(of: "/").map { String(literal[...$0]) } ?? ""
        return LocationPattern(bucketURL: bucketURL, prefix: prefix, glob: path, isPrefix: false)
    }

    /// Whether a key or path is one of this location's files.
    func matches(_ reference: String) -> Bool {
        if reference.hasSuffix(BackupMetadataNames.sidecarSuffix) { return false }
        if let glob { return fnmatch(glob, reference, FNM_PATHNAME) == 0 }
        if isPrefix { return reference.hasPrefix(prefix) && reference.count > prefix.count }
        return reference == prefix
    }
}

/// Names of the metadata files the drill reads beside an artifact.
enum BackupMetadataNames {
    static let sidecarSuffix = ".restore-drill.json"
}

/// Opens the store a location names.
enum BackupLocations {
    static func open(_ pattern: LocationPattern, s3: S3Settings) async throws -> any BackupLocation {
        guard let bucketURL = pattern.bucketURL else { return LocalBackupLocation() }
        var spec = s3.spec
        spec.url = bucketURL
        guard let store = try await spec.open() as? S3Store else {
            throw ConfigError(file: bucketURL, message: "\(bucketURL) did not open as an S3 bucket")
        }
        return S3BackupLocation(client: store.client, bucketURL: bucketURL)
    }
}
