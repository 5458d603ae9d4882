import DrillSupport
import Foundation
import Synchronization

/// The roles a plain SQL dump names (`OWNER TO`, `GRANT ... TO`, `SET SESSION AUTHORIZATION`).
///
/// `pg_restore` can skip ownership (`--no-owner`); `psql` running a plain dump cannot, and
/// stops at the first role the drill's fresh cluster lacks. Roles are cluster-wide, so a
/// pg_dump never carries them. The dump is read once, as a stream, outside `COPY` data
/// (data lines are never interpreted, so a value that looks like SQL changes nothing).
public enum PlainDumpRoles {
    /// Role names the dump at `path` refers to.
    public static func referenced(path: String, compression: Compression) async throws -> Set<String> {
        let scanner = RoleScanner()
        let reader = ToolInvocation(
            executable: compression.tool ?? "cat", arguments: (compression.tool == nil ? [] : ["-dc"]) + ["--", path],
            displayName: "read plain dump", captureLimit: 1, onLine: { line, stream in
                if stream == .standardOutput { scanner.consume(line) }
            })
        let result = try await ProcessRunner.run(reader)
        guard result.succeeded else {
            throw RestoreError(.failure, step: "read plain dump", "cannot read \(path): \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return scanner.roles
    }

    /// Role names in one statement line outside COPY data.
    static func roles(inStatement line: String) -> [String] {
        var names: [String] = []
        if let range = line.range(of: " OWNER TO "), line.hasSuffix(";") {
            names.append(String(line[range.upperBound...].dropLast()))
        }
        if line.hasPrefix("GRANT "), let range = line.range(of: " TO ", options: .backwards), line.hasSuffix(";") {
            var grantees = String(line[range.upperBound...].dropLast())
            if let option = grantees.range(of: " WITH ") { grantees = String(grantees[..<option.lowerBound]) }
            if let granted = grantees.range(of: " GRANTED BY ") { grantees = String(grantees[..<granted.lowerBound]) }
            names += grantees.components(separatedBy: ", ")
        }
        if line.hasPrefix("SET SESSION AUTHORIZATION ") {
            names.append(String(line.dropFirst("SET SESSION AUTHORIZATION ".count).dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "'")))
        }
        return names.map { unquote($0.trimmingCharacters(in: .whitespaces)) }.filter { !$0.isEmpty && $0.uppercased() != "PUBLIC" }
    }

    static func unquote(_ name: String) -> String {
        guard name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 else { return name }
        return String(name.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }
}

/// Follows COPY blocks so that data lines are skipped.
final class RoleScanner: Sendable {
    private struct State {
        var inCopy = false
        var roles: Set<String> = []
    }

    private let state = Mutex(State())

    func consume(_ line: String) {
        state.withLock { state in
            if state.inCopy {
                if line == "\\." { state.inCopy = false }
                return
            }
            if line.hasPrefix("COPY "), line.hasSuffix("FROM stdin;") {
                state.inCopy = true
                return
            }
            for role in PlainDumpRoles.roles(inStatement: line) { state.roles.insert(role) }
        }
    }

    var roles: Set<String> { state.withLock { $0.roles } }
}
