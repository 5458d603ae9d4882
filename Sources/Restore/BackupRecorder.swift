import DrillSupport
import Foundation

/// Writes the metadata a drill verifies against, right after the backup is taken.
public enum BackupRecorder {
    /// Measures and inspects `artifactPath` and writes `ARTIFACT.restore-drill.json` (or `output`).
    @discardableResult
    public static func record(
        artifactPath: String, pgRestore: String, output: String? = nil, fingerprints: SourceFingerprints? = nil,
        onProgress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> (BackupMetadata, String) {
        let digest = try await ContentDigest.of(path: artifactPath)
        let modified = (try? FileManager.default.attributesOfItem(atPath: artifactPath)[.modificationDate]) as? Date
        let name = (artifactPath as NSString).lastPathComponent
        let metadata: BackupMetadata
        if let base = try await BaseBackup.inspect(directory: artifactPath, archive: nil) {
            metadata = BackupMetadata(
                artifact: name, format: "basebackup", compression: .none, size: digest.size.bytes, sha256: digest.sha256,
                createdAt: base.stopTime ?? base.label.startTime ?? modified, serverVersion: String(base.majorVersion), database: nil)
        } else {
            let inspection = try await DumpInspector.inspect(path: artifactPath, pgRestore: pgRestore)
            var recorded = BackupMetadata(
                artifact: name, format: inspection.format.rawValue, compression: inspection.compression, size: digest.size.bytes,
                sha256: digest.sha256, createdAt: inspection.header.createdAt ?? modified, serverVersion: inspection.header.serverVersion,
                database: inspection.header.database)
            var inventory = try await InventoryReader.full(path: artifactPath, inspection: inspection, pgRestore: pgRestore, onProgress: onProgress)
            inventory.fingerprints = fingerprints
            recorded.inventory = inventory
            metadata = recorded
        }
        let path = output ?? BackupMetadata.sidecarPath(for: artifactPath)
        try metadata.encoded().write(to: URL(fileURLWithPath: path), options: .atomic)
        return (metadata, path)
    }
}
