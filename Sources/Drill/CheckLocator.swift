import Checks
import DrillSupport
import Foundation

/// Finds the checks a drill file (or `checks list`) names: a pack by name, a folder, or a file.
public enum CheckLocator {
    /// Loads `entry`: a `.yaml` file, a path with `/` to a folder, or a pack name looked up in the
    /// drill file's `checks/` folder and then in `searchPaths`. `located` builds the error for a missing one.
    public static func load(
        _ entry: String, base: String, searchPaths: [String], located: (String) -> ConfigError
    ) throws(ConfigError) -> [CheckDefinition] {
        if entry.hasSuffix(".yaml") || entry.hasSuffix(".yml") {
            let path = DrillPlanner.resolvePath(entry, base: base)
            guard FileManager.default.fileExists(atPath: path) else { throw located("check file \(path) does not exist") }
            let pack = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
            return try CheckLoader.loadFile(path: path, pack: pack)
        }
        if entry.contains("/") {
            let path = DrillPlanner.resolvePath(entry, base: base)
            guard FileManager.default.fileExists(atPath: path) else { throw located("check directory \(path) does not exist") }
            return try CheckLoader.loadPack(directory: path)
        }
        let searched = [base + "/checks"] + searchPaths
        guard let directory = searched.map({ $0 + "/" + entry }).first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw located("no check pack named '\(entry)' (looked in \(searched.joined(separator: ", "))); give a path to a folder or a .yaml file instead")
        }
        return try CheckLoader.loadPack(directory: directory)
    }

    /// Every pack folder in `searchPaths`, by name (the first of a name wins).
    public static func packs(searchPaths: [String]) -> [String: String] {
        var found: [String: String] = [:]
        for root in searchPaths {
            for entry in ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted() where found[entry] == nil {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + entry, isDirectory: &isDirectory), isDirectory.boolValue {
                    found[entry] = root + "/" + entry
                }
            }
        }
        return found
    }

    /// `checks list` output: every check with its kind, tags, timeout, order and description.
    public static func listing(_ checks: [CheckDefinition]) -> String {
        var lines: [String] = []
        var pack = ""
        for check in checks {
            if check.pack != pack {
                pack = check.pack
                lines.append((lines.isEmpty ? "" : "\n") + "[\(pack)]  \((check.file as NSString).deletingLastPathComponent)")
            }
            let tags = check.tags.isEmpty ? "" : " tags: \(check.tags.joined(separator: ", "))"
            let order = check.after.isEmpty ? "" : " after: \(check.after.joined(separator: ", "))"
            lines.append("  \(check.id)  (\(check.kind.name), timeout \(DrillDuration.format(check.timeout)))\(tags)\(order)")
            lines.append("      \(check.name)" + (check.description.map { " — \($0)" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}
