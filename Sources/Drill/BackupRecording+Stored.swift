import DrillSupport
import Foundation
import Objects
import Provisioning
import Restore

extension BackupRecording {
    /// Records a dump for the file it is stored as (encrypted, say): what it holds is read from
    /// the plaintext `artifact`; the size and SHA-256 recorded are the stored file's, which is
    /// what drills fetch and verify. Written beside `stored` unless `output` says where.
    public static func recordStored(
        artifact: String, stored: String, output: String?, progress: (@Sendable (String) -> Void)? = nil
    ) async throws -> (BackupMetadata, String, [String]) {
        guard FileManager.default.fileExists(atPath: stored) else { throw ConfigError(file: stored, message: "no such file (--stored)") }
        let scratch = try ScratchDirectory.create(root: nil, owner: nil)
        defer { _ = ScratchDirectory.remove(scratch) }
        var (metadata, _, warnings) = try await record(artifact: artifact, output: scratch + "/plain.json", progress: progress)
        let digest = try await ContentDigest.of(path: stored) { bytes in progress?("hashing the stored file: \(ByteCount(bytes))") }
        metadata.artifact = (stored as NSString).lastPathComponent
        metadata.size = digest.size.bytes
        metadata.sha256 = digest.sha256
        let path = output ?? BackupMetadata.sidecarPath(for: stored)
        try metadata.encoded().write(to: URL(fileURLWithPath: path), options: .atomic)
        warnings.append("the sidecar records the stored file's checksum; upload it beside the stored file as \(metadata.artifact).restore-drill.json")
        return (metadata, path, warnings)
    }

    /// How `record` reaches an `s3://` artifact.
    public struct RemoteArtifact: Sendable {
        public var url: String
        public var endpoint: String?
        public var region: String?
        /// `age` identity by reference, for an encrypted object.
        public var ageIdentity: String?

        public init(url: String, endpoint: String?, region: String?, ageIdentity: String?) {
            self.url = url
            self.endpoint = endpoint
            self.region = region
            self.ageIdentity = ageIdentity
        }
    }

    /// Records an object in a bucket without writing there: the object is streamed once
    /// (hashed as stored, decrypted when an identity is given) into a private folder, what it
    /// holds is read from that copy, and the metadata is written to `output` or returned to print.
    public static func recordRemote(_ remote: RemoteArtifact, output: String?, progress: (@Sendable (String) -> Void)? = nil) async throws
        -> (BackupMetadata, String?, [String])
    {
        let pattern = LocationPattern.parse(remote.url)
        guard pattern.bucketURL != nil, !pattern.namesSeveral else {
            throw ConfigError(file: remote.url, message: "record takes one object: s3://BUCKET/KEY (no prefix or glob)")
        }
        var settings = S3Settings()
        settings.spec.endpoint = remote.endpoint
        settings.spec.region = remote.region
        let location = try await BackupLocations.open(pattern, s3: settings)
        let listed = try await BackupLocating.readable(remote.url, .listing) { try await location.list(pattern) }
        guard let artifact = listed.first else {
            throw ConfigError(file: remote.url, message: "no such object")
        }
        var decryption: ArtifactDecryption?
        if let identity = remote.ageIdentity {
            guard let reference = SecretReference.parse(identity) else {
                throw ConfigError(file: "--age-identity", message: "give the identity by reference: env:NAME, file:PATH or command:CMD")
            }
            decryption = ArtifactDecryption(tool: .age, identity: reference)
        }
        let scratch = try ScratchDirectory.create(root: nil, owner: nil)
        defer { _ = ScratchDirectory.remove(scratch) }
        let fetched = try await BackupLocating.readable(remote.url, .object) {
            try await ArtifactFetch.fetch(artifact, from: location, into: scratch, decryption: decryption, user: nil) { bytes in
                progress?("fetching: \(ByteCount(bytes)) of \(ByteCount(artifact.size))")
            }
        }
        switch fetched.decryption {
        case .wrongKey(let message)?: throw ConfigError(file: "--age-identity", message: "\(identity(remote)) does not decrypt \(remote.url): \(message)")
        case .damaged(let message)?: throw RestoreError(.failure, step: "decrypt", "\(remote.url) does not decrypt: \(message)")
        case .decrypted?, nil: break
        }
        var (metadata, _, warnings) = try await record(artifact: fetched.path, output: scratch + "/plain.json", progress: progress)
        metadata.artifact = artifact.name
        metadata.size = fetched.stored.size.bytes
        metadata.sha256 = fetched.stored.sha256
        if metadata.createdAt == nil || metadata.createdAt! > artifact.modified { metadata.createdAt = artifact.modified }
        guard let output else { return (metadata, nil, warnings) }
        try metadata.encoded().write(to: URL(fileURLWithPath: output), options: .atomic)
        warnings.append("a drill reads it beside the object: upload it as \(remote.url).restore-drill.json (the drill never writes to the bucket)")
        return (metadata, output, warnings)
    }

    private static func identity(_ remote: RemoteArtifact) -> String { "--age-identity \(remote.ageIdentity ?? "")" }
}
