import DrillSupport
import Foundation
import Synchronization

/// The roles a dump's SQL names: owners (`OWNER TO`, `AUTHORIZATION`, `SET SESSION
/// AUTHORIZATION`), privileges (`GRANT ... TO`, `REVOKE ... FROM`, `ALTER DEFAULT PRIVILEGES
/// FOR ROLE`), and policies (`CREATE POLICY ... TO`), and which of them must be superusers
/// (the owners of event triggers).
///
/// Roles are cluster-wide, so a pg_dump never carries them, and a fresh cluster lacks them:
/// psql running a plain dump stops at the first one, and pg_restore does too for policies,
/// which name roles even with `--no-owner --no-privileges`. The SQL is read once, as a stream,
/// outside `COPY` data (data lines are never interpreted, so a value that looks like SQL
/// changes nothing). Archives are read as the SQL `pg_restore --schema-only -f -` prints.
public enum PlainDumpRoles {
    /// What the dump needs of the cluster's roles.
    public struct Needs: Sendable, Equatable {
        /// Every role named.
        public var names: Set<String> = []
        /// Roles that must be superusers (they own event triggers).
        public var superusers: Set<String> = []
    }

    /// The roles the plain dump at `path` refers to.
    public static func referenced(path: String, compression: Compression) async throws -> Needs {
        try await scan(
            ToolInvocation(
                executable: compression.tool ?? "cat", arguments: (compression.tool == nil ? [] : ["-dc"]) + ["--", path],
                displayName: "read plain dump"), path: path)
    }

    /// The roles the archive at `path` (custom, tar or directory) refers to, from the SQL
    /// `pg_restore --schema-only` would run.
    public static func referenced(archive path: String, compression: Compression, pgRestore: String) async throws -> Needs {
        // pg_restore stops reading once the schema is out; a damaged archive fails the restore
        // itself, which reads it whole.
        let reader = ToolInvocation.pgRestoreSQL("--schema-only", path: path, compression: compression, pgRestore: pgRestore, wholeInput: false)
        return try await scan(reader, path: path)
    }

    static func scan(_ invocation: ToolInvocation, path: String) async throws -> Needs {
        let scanner = RoleScanner()
        var reader = invocation
        reader.captureLimit = 64 * 1024
        reader.onLine = { line, stream in
            if stream == .standardOutput { scanner.consume(line) }
        }
        let result = try await ProcessRunner.run(reader)
        guard result.succeeded else {
            throw RestoreError(
                .failure, step: "read dump", "cannot read the roles \(path) names: \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines).suffix(500))")
        }
        return scanner.needs
    }

    /// Role names in one statement line outside COPY data.
    static func roles(inStatement line: String) -> [String] {
        var names: [String] = []
        if let range = line.range(of: " OWNER TO "), line.hasSuffix(";") {
            names.append(String(line[range.upperBound...].dropLast()))
        }
        if line.hasPrefix("CREATE SCHEMA "), let range = line.range(of: " AUTHORIZATION "), line.hasSuffix(";") {
            names.append(String(line[range.upperBound...].dropLast()))
        }
        var privileges = Substring(line)
        if line.hasPrefix("ALTER DEFAULT PRIVILEGES FOR ROLE ") {
            let rest = line.dropFirst("ALTER DEFAULT PRIVILEGES FOR ROLE ".count)
            let end = [" IN SCHEMA ", " GRANT ", " REVOKE "].compactMap { rest.range(of: $0)?.lowerBound }.min() ?? rest.endIndex
            names += list(rest[..<end])
            privileges = rest[end...].drop { $0 == " " }
            if privileges.hasPrefix("IN SCHEMA "), let verb = [" GRANT ", " REVOKE "].compactMap({ privileges.range(of: $0) }).first {
                privileges = privileges[verb.lowerBound...].drop { $0 == " " }
            }
        } else if line.hasPrefix("ALTER DEFAULT PRIVILEGES IN SCHEMA "), let verb = [" GRANT ", " REVOKE "].compactMap({ line.range(of: $0) }).first {
            privileges = line[verb.lowerBound...].drop { $0 == " " }
        }
        if privileges.hasPrefix("GRANT "), let range = privileges.range(of: " TO ", options: .backwards), privileges.hasSuffix(";") {
            var grantees = privileges[range.upperBound...].dropLast()
            if let option = grantees.range(of: " WITH ") { grantees = grantees[..<option.lowerBound] }
            if let granted = grantees.range(of: " GRANTED BY ") {
                names += list(grantees[granted.upperBound...])
                grantees = grantees[..<granted.lowerBound]
            }
            names += list(grantees)
        }
        if privileges.hasPrefix("REVOKE "), let range = privileges.range(of: " FROM ", options: .backwards), privileges.hasSuffix(";") {
            var grantees = privileges[range.upperBound...].dropLast()
            if let cascade = grantees.range(of: " CASCADE") ?? grantees.range(of: " RESTRICT") { grantees = grantees[..<cascade.lowerBound] }
            if let granted = grantees.range(of: " GRANTED BY ") { grantees = grantees[..<granted.lowerBound] }
            names += list(grantees)
        }
        if line.hasPrefix("CREATE POLICY "), let to = line.range(of: " TO ") {
            let rest = line[to.upperBound...]
            let end = [" USING (", " WITH CHECK (", ";"].compactMap { rest.range(of: $0)?.lowerBound }.min() ?? rest.endIndex
            names += list(rest[..<end])
        }
        if line.hasPrefix("SET SESSION AUTHORIZATION ") {
            names.append(String(line.dropFirst("SET SESSION AUTHORIZATION ".count).dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "'")))
        }
        let special: Set<String> = ["PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE"]
        return names.map { unquote($0.trimmingCharacters(in: .whitespaces)) }.filter { !$0.isEmpty && !special.contains($0.uppercased()) }
    }

    /// The role that must be a superuser for this statement (`ALTER EVENT TRIGGER ... OWNER TO`).
    static func superuser(inStatement line: String) -> String? {
        guard line.hasPrefix("ALTER EVENT TRIGGER "), let range = line.range(of: " OWNER TO "), line.hasSuffix(";") else { return nil }
        return unquote(String(line[range.upperBound...].dropLast()).trimmingCharacters(in: .whitespaces))
    }

    static func list(_ text: Substring) -> [String] {
        text.components(separatedBy: ", ").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func unquote(_ name: String) -> String {
        guard name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 else { return name }
        return String(name.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }
}

/// Follows COPY blocks so that data lines are skipped.
final class RoleScanner: Sendable {
    private struct State {
        var copy = CopyTracker()
        var needs = PlainDumpRoles.Needs()
    }

    private let state = Mutex(State())

    func consume(_ line: String) {
        state.withLock { state in
            if state.copy.isData(Substring(line)) || state.copy.inCopy || state.copy.inCopyStatement { return }
            for role in PlainDumpRoles.roles(inStatement: line) { state.needs.names.insert(role) }
            if let owner = PlainDumpRoles.superuser(inStatement: line) { state.needs.superusers.insert(owner) }
        }
    }

    var roles: Set<String> { state.withLock { $0.needs.names } }
    var needs: PlainDumpRoles.Needs { state.withLock { $0.needs } }
}
