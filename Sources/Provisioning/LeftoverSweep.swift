import DrillSupport
import Foundation

/// Finds and removes what dead drills left on this machine: their folders in the temp dir and
/// any process still running from them. A folder is a dead drill's when its lock file is held by
/// no one (the kernel dropped it with the drill, SIGKILL included); a `--keep` server's keeper
/// holds it, so kept servers stay unless asked.
public enum LeftoverSweep {
    /// One drill folder found.
    public struct Leftover: Sendable {
        /// The folder.
        public var path: String
        /// True while a live drill or a `--keep` keeper holds its lock.
        public var inUse: Bool
        /// Processes still running from it (a server started without a sandbox).
        public var processes: [pid_t]
    }

    /// Drill folders directly under `root` (default `$TMPDIR` or `/tmp`).
    public static func find(root: String? = nil) -> [Leftover] {
        let base = root ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        return names.filter { $0.hasPrefix(ScratchDirectory.prefix) }.sorted().compactMap { name in
            let path = base + "/" + name
            let lock = path + "/" + DrillLock.fileName
            guard FileManager.default.fileExists(atPath: lock) else { return nil }
            return Leftover(path: path, inUse: DrillLock.isHeld(lock), processes: processes(using: path))
        }
    }

    /// Ends the processes of `leftover` (its keeper too, for a kept server) and removes the folder.
    /// Returns a problem, or nil.
    public static func remove(_ leftover: Leftover) async -> String? {
        if let keeper = keeperPID(of: leftover.path) { kill(keeper, SIGKILL) }
        for pid in leftover.processes { kill(pid, SIGKILL) }
        for _ in 0..<50 where !processes(using: leftover.path).isEmpty { try? await Task.sleep(for: .milliseconds(100)) }
        return ScratchDirectory.remove(leftover.path)
    }

    /// Removes every dead drill's folder; returns the paths removed.
    public static func sweepDead(root: String? = nil) async -> [String] {
        var removed: [String] = []
        for leftover in find(root: root) where !leftover.inUse {
            if await remove(leftover) == nil { removed.append(leftover.path) }
        }
        return removed
    }

    /// The file a `--keep` keeper's pid is written to.
    public static let keeperFile = "keeper.pid"

    /// The keeper of a kept server, when it still runs as one (never a reused pid).
    static func keeperPID(of path: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: path + "/" + keeperFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
            String(decoding: command, as: UTF8.self).contains("sleep")
        else { return nil }
        return pid
    }

    /// Live processes whose command line or working directory is inside `path`.
    static func processes(using path: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), pid != getpid() else { return nil }
            let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? ""
            let directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd")) ?? ""
            guard command.contains(path + "/") || directory == path || directory.hasPrefix(path + "/") else { return nil }
            return pid
        }
    }
}
