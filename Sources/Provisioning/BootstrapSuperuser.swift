import DrillSupport
import Foundation

/// Finds the bootstrap superuser (the role with oid 10) of a restored cluster whose roles the
/// drill does not know. A standalone backend (`postgres --single`) always runs as that role and
/// needs no login, so it can read `pg_authid` of the stopped copy; the name comes back
/// hex-encoded, so no character of it can confuse the parse.
public enum BootstrapSuperuser {
    /// The statement given to the standalone backend on standard input.
    static let query = "SELECT encode(convert_to(rolname, 'UTF8'), 'hex') AS superuser_hex FROM pg_authid WHERE oid = 10\n"

    /// Arguments of `postgres` for the standalone backend over `dataDirectory`, with `settings` as `-c`.
    static func arguments(dataDirectory: String, settings: [String: String]) -> [String] {
        var arguments = ["--single", "-D", dataDirectory]
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { arguments += ["-c", "\(name)=\(value)"] }
        return arguments + ["template1"]
    }

    /// Writes the statement into `folder` (readable by the server account) and returns its path.
    static func writeQuery(into folder: String, owner: OSUser?, readableByOthers: Bool) throws -> String {
        let path = folder + "/bootstrap-superuser.sql"
        try ScratchDirectory.writePrivateFile(path, contents: query, owner: owner)
        if readableByOthers { chmod(path, 0o644) }
        return path
    }

    /// The role name in the standalone backend's output (` 1: superuser_hex = "6f7073"`), or nil.
    public static func parse(_ output: String) -> String? {
        guard let start = output.range(of: "superuser_hex = \"") else { return nil }
        let hex = output[start.upperBound...].prefix { $0.isHexDigit }
        guard !hex.isEmpty, hex.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return String(bytes: bytes, encoding: .utf8)
    }

    /// The error when the standalone backend did not give a name.
    static func failure(_ result: ToolResult) -> ProvisionError {
        let said = (result.standardError + "\n" + result.standardOutput).split(separator: "\n").suffix(6).joined(separator: "\n")
        return ProvisionError(
            .startFailed,
            "the standalone backend (postgres --single) could not read the restored cluster's superuser (\(result.terminationDescription)); set recovery.superuser to one of its superusers. It said:\n\(said)")
    }
}
