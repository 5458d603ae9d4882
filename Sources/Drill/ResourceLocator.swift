import Foundation

/// Finds the project's shipped folders (`fixtures/`, `checks/`) from a clone or an install. A
/// share folder is one that holds the `.restore-drill-share` marker, so a user's own `checks/`
/// never passes for the shipped packs. Looked for in `$RESTORE_DRILL_HOME`, then next to the
/// executable (`BIN/../share/restore-drill`, as `scripts/install` lays it out) and in its parent
/// folders (a clone's `.build/...`), then the current directory and its parents, then
/// `/usr/local/share/restore-drill` and `/usr/share/restore-drill`.
public enum ResourceLocator {
    /// The file that marks a share folder.
    public static let marker = ".restore-drill-share"

    /// The share folders found, in lookup order.
    public static var roots: [String] {
        var candidates: [String] = []
        if let home = ProcessInfo.processInfo.environment["RESTORE_DRILL_HOME"], !home.isEmpty { candidates.append(home) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("share/restore-drill").path)
        candidates += ancestors(of: executable.path)
        candidates += ancestors(of: FileManager.default.currentDirectoryPath)
        candidates += ["/usr/local/share/restore-drill", "/usr/share/restore-drill"]
        var seen: Set<String> = []
        return candidates.filter { FileManager.default.fileExists(atPath: $0 + "/" + marker) && seen.insert($0).inserted }
    }

    /// The first share folder's `relativePath`, or nil.
    public static func find(_ relativePath: String) -> String? {
        roots.lazy.map { $0 + "/" + relativePath }.first { FileManager.default.fileExists(atPath: $0) }
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
