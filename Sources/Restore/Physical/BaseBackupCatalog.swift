import DrillSupport
import Foundation

/// The base backups under a location: the location itself when it is one, else each of its
/// sub-folders that is one (a folder per nightly backup, as most schedules keep them).
public enum BaseBackupCatalog {
    /// Every base backup found, oldest first.
    public static func discover(location: String, archive: WALArchive?) async throws -> [BaseBackup] {
        if let single = try await BaseBackup.inspect(directory: location, archive: archive) { return [single] }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: location).sorted()
        } catch {
            throw RestoreError(.failure, step: "base backup", "the base backup location \(location) cannot be read: \(YAMLValue.describe(error))")
        }
        var found: [BaseBackup] = []
        for entry in entries {
            var isDirectory: ObjCBool = false
            let path = location + "/" + entry
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if let backup = try await BaseBackup.inspect(directory: path, archive: archive) { found.append(backup) }
        }
        guard !found.isEmpty else {
            throw RestoreError(
                .failure, step: "base backup",
                "no base backup in \(location): expected backup_label (plain format) or base.tar[.gz|.lz4|.zst] there or in its sub-folders")
        }
        return found.sorted { $0.label.startLSN < $1.label.startLSN }
    }
}
