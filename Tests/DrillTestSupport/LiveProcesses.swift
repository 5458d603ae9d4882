import Foundation

/// Live (not zombie) processes, read from /proc.
public enum LiveProcesses {
    /// Processes of process group `group` that are still running.
    public static func inGroup(_ group: Int32) -> [Int32] {
        all().filter { $0.group == group }.map(\.pid)
    }

    /// Every live process: pid, process group, state and command line.
    public static func all() -> [(pid: Int32, group: Int32, commandLine: String)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after "(comm)": state ppid pgrp ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", let group = Int32(fields[2]) else { return nil }
            let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") ?? Data()
            return (pid, group, String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self))
        }
    }
}
