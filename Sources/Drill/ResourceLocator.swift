import Foundation

/// Finds the project's shipped folders (`fixtures/`, `checks/`) from a clone or an install:
/// `$RESTORE_DRILL_HOME`, then the current directory and its parents, then the executable's.
public enum ResourceLocator {
    /// The first directory holding `relativePath`, or nil.
    public static func find(_ relativePath: String) -> String? {
        var roots: [String] = []
        if let home = ProcessInfo.processInfo.environment["RESTORE_DRILL_HOME"], !home.isEmpty { roots.append(home) }
        roots += ancestors(of: FileManager.default.currentDirectoryPath)
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent().path
        roots += ancestors(of: executable)
        roots.append("/usr/local/share/restore-drill")
        roots.append("/usr/share/restore-drill")
        for root in roots where FileManager.default.fileExists(atPath: root + "/" + relativePath) {
            return root + "/" + relativePath
        }
        return nil
    }

    /// Where check packs are looked up by name, after the drill file's own `checks/`.
    public static var checkSearchPaths: [String] {
        var paths: [String] = []
        if let extra = ProcessInfo.processInfo.environment["RESTORE_DRILL_CHECKS"] {
            paths += extra.split(separator: ":").map(String.init)
        }
        if let shipped = find("checks") { paths.append(shipped) }
        return paths
    }

    private static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var current = URL(fileURLWithPath: path).standardizedFileURL
        for _ in 0..<8 {
            result.append(current.path)
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { break }
            current = parent
        }
        return result
    }
}
