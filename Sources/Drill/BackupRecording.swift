import DrillSupport
import Foundation
import Restore

/// `restore-drill record`: measures an artifact and writes its metadata sidecar.
public enum BackupRecording {
    /// Records `artifact`; returns the metadata and where it was written.
    public static func record(artifact: String, output: String?) async throws -> (BackupMetadata, String) {
        let path = (artifact as NSString).standardizingPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError(file: artifact, message: "no such file or directory")
        }
        return try await BackupRecorder.record(artifactPath: path, pgRestore: await DrillPlanner.anyPgRestore(), output: output)
    }
}
