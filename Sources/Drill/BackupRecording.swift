import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Restore

/// `restore-drill record`: measures an artifact and writes its metadata sidecar.
public enum BackupRecording {
    /// Where the source's fingerprints come from, and at which moment.
    public struct Source: Sendable {
        /// The source database: a DSN or a secret reference (`env:NAME`, `file:PATH`) to one.
        public var dsn: String?
        /// The source database, already resolved.
        public var parameters: ConnectionParameters?
        /// The moment the fingerprints describe.
        public var moment: Moment

        /// A source given by a DSN (or a reference to one).
        public init(dsn: String, moment: Moment) {
            self.dsn = dsn
            self.moment = moment
        }

        /// A source given by its connection parameters.
        public init(parameters: ConnectionParameters, moment: Moment) {
            self.parameters = parameters
            self.moment = moment
        }
    }

    /// Which snapshot of the source the fingerprints are taken in.
    public enum Moment: Sendable, Equatable {
        /// The snapshot the caller's `pg_dump --snapshot=ID` used (its exporting transaction still open).
        case snapshot(String)
        /// Now: only right when nothing has written to the source since the dump.
        case now
        /// `record` runs `pg_dump` itself into the artifact, in the snapshot it fingerprints.
        case dump(format: String)
        /// Physical backups: `record` creates this restore point, writes held off the tables for
        /// the instant it takes, and fingerprints exactly what recovery to it gives.
        case restorePoint(String)

        /// The restore point's name, for `.restorePoint`.
        var restorePointName: String? {
            if case .restorePoint(let name) = self { return name }
            return nil
        }
    }

    /// Records `artifact`; returns the metadata, where it was written, and warnings to print.
    public static func record(
        artifact: String, output: String?, source: Source? = nil, progress: (@Sendable (String) -> Void)? = nil
    ) async throws -> (BackupMetadata, String, [String]) {
        let path = (artifact as NSString).standardizingPath
        var fingerprints: SourceFingerprints?
        if let source, let name = source.moment.restorePointName {
            return try await recordRestorePoint(name, source: source, baseBackup: path, output: output, progress: progress)
        }
        if let source {
            fingerprints = try await SourceFingerprinting.take(source, artifact: path, progress: progress)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError(file: artifact, message: "no such file or directory")
        }
        let (metadata, written) = try await BackupRecorder.record(
            artifactPath: path, pgRestore: await DrillPlanner.anyPgRestore(), output: output, fingerprints: fingerprints
        ) { bytes in progress?("reading the dump: \(ByteCount(bytes))") }
        var warnings: [String] = []
        if let inventory = metadata.inventory {
            let lacking = Completeness.tablesLacking(inventory)
            if !lacking.isEmpty {
                warnings.append(
                    "the backup holds no data for \(lacking.count) table(s) of the source: \(lacking.prefix(20).joined(separator: ", "))\(lacking.count > 20 ? ", ..." : ""). Drills of it will fail unless backup.content says partial.")
            }
        }
        if metadata.inventory?.complete == false {
            warnings.append("the plain dump does not end with pg_dump's completion trailer: it is truncated, and drills of it will fail")
        }
        return (metadata, written, warnings)
    }

    /// Creates a restore point on the source, fingerprints it, and adds it to the base backup's
    /// sidecar (recorded first when there is none).
    static func recordRestorePoint(
        _ name: String, source: Source, baseBackup path: String, output: String?, progress: (@Sendable (String) -> Void)?
    ) async throws -> (BackupMetadata, String, [String]) {
        guard (try? await BaseBackup.inspect(directory: path, archive: nil)) != nil else {
            throw ConfigError(file: path, message: "--restore-point goes with a base backup folder (the one drills of the point restore from)")
        }
        let sidecar = output ?? BackupMetadata.sidecarPath(for: path)
        var metadata: BackupMetadata
        if FileManager.default.fileExists(atPath: sidecar) {
            metadata = try BackupMetadata.load(path: sidecar)
        } else {
            metadata = try await BackupRecorder.record(artifactPath: path, pgRestore: await DrillPlanner.anyPgRestore(), output: sidecar).0
        }
        if metadata.restorePoints?[name] != nil {
            throw ConfigError(file: sidecar, message: "restore point '\(name)' is already recorded here; restore point names must be unique for recovery to find the right one")
        }
        let fingerprints = try await SourceFingerprinting.take(source, artifact: path, progress: progress)
        metadata.restorePoints = (metadata.restorePoints ?? [:]).merging([name: fingerprints]) { $1 }
        try metadata.encoded().write(to: URL(fileURLWithPath: sidecar), options: .atomic)
        return (metadata, sidecar, [])
    }
}
