import Foundation
import Synchronization

/// A lock file in each of a drill's folders, held (`flock`) for as long as the drill (or the
/// keeper of a `--keep` server) lives. The kernel drops it when the holder dies, SIGKILL
/// included, so `restore-drill cleanup` tells a dead drill's folder from a live one without
/// trusting a pid that may have been reused.
public enum DrillLock {
    /// The lock file's name inside a drill folder.
    public static let fileName = ".restore-drill.lock"

    private static let held = Mutex<[String: Int32]>([:])

    /// Creates and locks `path` for the life of this process.
    public static func hold(_ path: String) {
        // Locked under a temporary name, then renamed: a sweep never sees it unlocked.
        let temporary = path + ".new"
        let descriptor = open(temporary, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0, rename(temporary, path) == 0 else {
            close(descriptor)
            unlink(temporary)
            return
        }
        let line = "\(getpid())\n"
        _ = line.withCString { write(descriptor, $0, strlen($0)) }
        held.withLock { $0[path] = descriptor }
    }

    /// Drops the lock on `path` (its folder is gone).
    public static func release(_ path: String) {
        if let descriptor = held.withLock({ $0.removeValue(forKey: path) }) { close(descriptor) }
    }

    /// The locked descriptor for `path`, to hand a copy to a keeper process.
    public static func descriptor(for path: String) -> Int32? { held.withLock { $0[path] } }

    /// True when some live process holds the lock on `path` (false also when there is no such file).
    public static func isHeld(_ path: String) -> Bool {
        if held.withLock({ $0[path] }) != nil { return true }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return true
    }
}
