import DrillSupport
import Foundation
import Synchronization

/// The folder a drill writes its reports into, claimed before anything is restored: it must be
/// writable, outside every backup source, and not in use by another drill at the same time (two
/// drills writing one `reports/` replaced one verdict with the other, with no warning).
public enum ReportsFolder {
    /// Why the folder cannot be used; the drill stops before restoring (exit 3).
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The lock file's name in a reports folder.
    public static let lockName = ".restore-drill-reports.lock"

    /// Creates `path`, proves it can be written, refuses it inside any of `sources` (backup
    /// folders, the WAL archive, an object store folder), and locks it for this process.
    public static func claim(_ path: String, sources: [String]) throws(Problem) {
        let folder = (path as NSString).standardizingPath
        for source in sources where !source.isEmpty {
            let root = (source as NSString).standardizingPath
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if folder == root || folder.hasPrefix(root + "/") {
                throw Problem(
                    description:
                        "the reports folder \(folder) is inside the backup source \(root): a drill never writes into what it verifies. Set reports.dir (or --reports) to a folder outside it.")
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw Problem(description: "the reports folder \(folder) cannot be created: \(YAMLValue.describe(error)). Set reports.dir (or --reports) to a writable folder.")
        }
        let lock = folder + "/" + lockName
        let descriptor = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Problem(description: "the reports folder \(folder) cannot be written: \(String(cString: strerror(errno))). Set reports.dir (or --reports) to a writable folder.")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw Problem(
                description:
                    "the reports folder \(folder) is in use by another drill running now: its reports would replace each other's. Give each drill its own reports.dir (or --reports).")
        }
        held.withLock { $0[folder] = descriptor }
    }

    /// Lets another drill use `path` again (this drill wrote its reports).
    public static func release(_ path: String) {
        let folder = (path as NSString).standardizingPath
        if let descriptor = held.withLock({ $0.removeValue(forKey: folder) }) { close(descriptor) }
    }

    private static let held = Mutex<[String: Int32]>([:])
}
