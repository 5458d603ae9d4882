import DrillSupport
import Foundation
import Objects
import Recovery
import Restore

/// The one artifact a location and `backup.select` name, and what was recorded about it.
struct LocatedBackup: Sendable {
    var store: any BackupLocation
    var artifact: StoredArtifact
    /// How it was chosen among several; nil when the location names one file.
    var choice: CandidateSelection.Choice?
    /// Every backup a location of several holds, newest first, with the time selection used.
    var listing: [BackupCandidate] = []
    /// How many backups the location holds.
    var candidates: Int { max(1, listing.count) }
    var metadata: BackupMetadata?
    /// Where the metadata was read.
    var metadataURL: String?
    /// `s3://bucket/key` or the path.
    var url: String { store.url(of: artifact.reference) }
    /// True when the bytes must be fetched (or decrypted) before anything reads them.
    var needsFetch: Bool

    /// Bytes the fetch writes: the stored size (decrypted data is no larger).
    var bytesToFetch: Int64 { artifact.size }
}

/// Lists a location, applies `backup.select`, and reads the chosen artifact's metadata: the
/// sidecar beside it (`KEY.restore-drill.json`) or `backup.metadata`.
enum BackupLocating {
    static func locate(_ file: DrillFile, pattern: LocationPattern) async throws -> LocatedBackup {
        let store = try await BackupLocations.open(pattern, s3: file.backup.s3)
        let what = pattern.bucketURL.map { "\($0)/\(pattern.glob ?? pattern.prefix)" } ?? (pattern.glob ?? pattern.prefix)
        let remote = pattern.bucketURL != nil
        var listed = try await readable(what) { try await store.list(pattern) }
        if remote, listed.isEmpty, !pattern.namesSeveral {
            // s3://bucket/app.dir without its slash: a directory-format dump's folder.
            var folder = pattern
            folder.prefix += "/"
            folder.isPrefix = true
            let inside = try await readable(what) { try await store.list(folder) }
            if inside.contains(where: { $0.reference == folder.prefix + "toc.dat" }) { listed = inside }
        }
        if remote { listed = StoredArtifact.groupingDirectoryDumps(listed) }
        if let dump = listed.first(where: { !$0.members.isEmpty }), let encryption = file.backup.encryption {
            throw ConfigError(
                file: file.path,
                message: "\(store.url(of: dump.reference)) is a directory-format dump; its files are not decrypted one by one (backup.encryption uses \(encryption.tool.rawValue)): encrypt a custom-format dump (pg_dump -Fc) instead")
        }
        let single = !pattern.namesSeveral || (listed.count == 1 && !listed[0].members.isEmpty && listed[0].reference + "/" == pattern.prefix)
        guard !single else {
            if let select = file.backup.select {
                throw ConfigError(
                    file: file.path,
                    message: "backup.select (\(select)) chooses among several backups, but backup.location names one file; give a glob (s3://BUCKET/app/*.dump) or a prefix ending in /")
            }
            guard let only = listed.first else {
                throw RestoreError(
                    .failure, step: "fetch",
                    "the backup artifact \(what) does not exist (backup.location in \(file.path)). The backup was not written, or was moved or deleted.")
            }
            let (metadata, url) = try await metadata(file, store, only)
            return LocatedBackup(
                store: store, artifact: only, choice: nil, metadata: metadata, metadataURL: url,
                needsFetch: remote || file.backup.encryption != nil)
        }
        var sidecars: [String: BackupMetadata] = [:]
        var candidates: [BackupCandidate] = []
        for artifact in listed {
            let sidecar = try await readable(what) { try await store.readSmall(artifact.reference + BackupMetadataNames.sidecarSuffix) }
            let recorded = try sidecar.map { data throws(ConfigError) in try BackupMetadata.decode(data, from: store.url(of: artifact.reference + BackupMetadataNames.sidecarSuffix)) }
            if let recorded { sidecars[artifact.reference] = recorded }
            candidates.append(
                BackupCandidate(
                    name: artifact.name, time: recorded?.createdAt ?? artifact.modified, timeSource: recorded?.createdAt == nil ? (remote ? "uploaded" : "modified") : "taken"))
        }
        let choice = try CandidateSelection.choose(candidates, rule: file.backup.select ?? .latest, now: Date(), what: what)
        let chosen = listed.first { $0.name == choice.candidate.name }!
        let (metadata, url) = try await metadata(file, store, chosen, sidecar: sidecars[chosen.reference])
        return LocatedBackup(
            store: store, artifact: chosen, choice: choice,
            listing: candidates.sorted { ($0.time ?? .distantPast, $0.name) > ($1.time ?? .distantPast, $1.name) }, metadata: metadata,
            metadataURL: url, needsFetch: remote || file.backup.encryption != nil)
    }

    private static func metadata(_ file: DrillFile, _ store: any BackupLocation, _ artifact: StoredArtifact, sidecar: BackupMetadata? = nil) async throws
        -> (BackupMetadata?, String?)
    {
        if let explicit = file.backup.metadata {
            let path = DrillPlanner.resolvePath(explicit, base: file.baseDirectory)
            return (try BackupMetadata.load(path: path), path)
        }
        let reference = artifact.reference + BackupMetadataNames.sidecarSuffix
        if let sidecar { return (sidecar, store.url(of: reference)) }
        let read: Data? = try await readable(store.url(of: reference), .listing) { try await store.readSmall(reference) }
        guard let data = read else { return (nil, nil) }
        return (try BackupMetadata.decode(data, from: store.url(of: reference)), store.url(of: reference))
    }

    /// What a read asked the store for, for the permissions a refusal names.
    enum Access {
        /// Listing a location and reading its sidecars.
        case listing
        /// Reading one object's bytes.
        case object
    }

    /// Runs a read; a store that refuses or cannot be reached is an error that says which and what to check.
    static func readable<T>(_ what: String, _ access: Access = .listing, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as S3Error {
            switch (error.code, access) {
            case (.accessDenied, .listing):
                throw RestoreError(
                    .error, step: "fetch",
                    "the store refused to list or read \(what): \(error.message). Give the drill's credentials s3:ListBucket and s3:GetObject on it (and kms:Decrypt for an SSE-KMS key)")
            case (.accessDenied, .object):
                throw RestoreError(
                    .error, step: "fetch",
                    "the store refused to read \(what): \(error.message) The backup was not judged: nothing was restored.")
            default:
                throw RestoreError(.error, step: "fetch", "cannot read \(what): \(error.message)")
            }
        }
    }
}
