import Foundation

/// Makes a restored data directory's configuration loadable here: a backup of a Debian
/// cluster has no `postgresql.conf` (it lives in /etc), and one that has it may include
/// files from production's machine. Settings that matter to the drill are given on the
/// command line anyway; this only keeps the server from refusing to start.
enum ConfigurationRepair {
    static func repair(dataDirectory: String) throws -> [String] {
        let path = dataDirectory + "/postgresql.conf"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            try "# Written by restore-drill: the base backup had no postgresql.conf.\n".write(toFile: path, atomically: true, encoding: .utf8)
            return ["the base backup had no postgresql.conf (Debian keeps it in /etc); the drill used defaults plus its own settings"]
        }
        var notes: [String] = []
        var changed = false
        let lines = text.components(separatedBy: "\n").map { line -> String in
            guard let target = includeTarget(line) else { return line }
            let absolute = target.hasPrefix("/") ? target : dataDirectory + "/" + target
            guard !FileManager.default.fileExists(atPath: absolute) else { return line }
            notes.append("postgresql.conf includes \(target), which is not in the backup; that line was disabled")
            changed = true
            return "# disabled by restore-drill (not in the backup): " + line
        }
        if changed { try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8) }
        return notes
    }

    /// The file or folder an `include`, `include_if_exists` or `include_dir` line names.
    static func includeTarget(_ line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.hasPrefix("#") else { return nil }
        for keyword in ["include_if_exists", "include_dir", "include"] where trimmed.hasPrefix(keyword) {
            var rest = trimmed.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            if rest.hasPrefix("=") { rest = rest.dropFirst().trimmingCharacters(in: .whitespaces) }
            guard rest.hasPrefix("'"), let end = rest.dropFirst().firstIndex(of: "'") else { return nil }
            return String(rest[rest.index(after: rest.startIndex)..<end])
        }
        return nil
    }
}
