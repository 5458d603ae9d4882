import DrillSupport
import Foundation
import PostgresClient

/// Runs an `import` check: BEGIN, COPY the rows in, check the count and the follow-up query,
/// ROLLBACK, and confirm the table holds what it held before.
enum ImportCheckRunner {
    static func run(_ check: CheckDefinition, spec: ImportCheck, context: CheckContext) async -> (CheckStatus, String, String) {
        let target = spec.database.map { context.connection.with(database: $0) } ?? context.connection
        var observed: [String] = []
        var cleanup: String?
        defer { if let cleanup { unlink(cleanup) } }
        let csvPath: String
        switch spec.source {
        case .file(let path): csvPath = path
        case .command(let command):
            let path = NSTemporaryDirectory() + "/restore-drill-import-\(UUID().uuidString).csv"
            cleanup = path
            do {
                let environment = try context.programEnvironment(adding: command.environment)
                let result = try await ProcessRunner.run(
                    context.contained(
                        ToolInvocation(
                            executable: command.program, arguments: command.arguments, environment: environment,
                            workingDirectory: command.workingDirectory, outputFile: path, displayName: "import source of \(check.id)")))
                guard result.succeeded else {
                    return (.error, "the import's source program \(command.program) \(result.terminationDescription): \(SecretMasker.shared.mask(result.standardError))", "")
                }
            } catch {
                return (.error, "the import's source program \(command.program) could not run: \(error)", "")
            }
            csvPath = path
        }
        guard FileManager.default.isReadableFile(atPath: csvPath) else { return (.error, "the import file \(csvPath) cannot be read", "") }
        let table = spec.table.split(separator: ".", maxSplits: 1).map { quoted(String($0)) }.joined(separator: ".")
        let columns = spec.columns.isEmpty ? "" : " (" + spec.columns.map(quoted).joined(separator: ", ") + ")"
        do {
            let session = try await PostgresConnection.connect(target)
            defer { session.close() }
            let before = try await session.query("SELECT count(*) FROM \(table)").int() ?? 0
            _ = try await session.execute("BEGIN")
            let outcome = await importInside(session, spec: spec, table: table, columns: columns, csvPath: csvPath, observed: &observed)
            _ = try await session.execute("ROLLBACK")
            let after = try await session.query("SELECT count(*) FROM \(table)").int() ?? 0
            guard after == before else {
                return (.error, "\(spec.table) held \(before) row(s) before the import and \(after) after its rollback", observed.joined(separator: "\n"))
            }
            observed.append("rolled back: \(spec.table) holds \(after) row(s), as before")
            return (outcome.0, outcome.1, observed.joined(separator: "\n"))
        } catch {
            return (error.code == .queryFailed ? .failed : .error, "the import could not run: \(error)", observed.joined(separator: "\n"))
        }
    }

    private static func importInside(
        _ session: PostgresConnection, spec: ImportCheck, table: String, columns: String, csvPath: String, observed: inout [String]
    ) async -> (CheckStatus, String) {
        let copied: Int
        do {
            let result = try await session.copyIn("COPY \(table)\(columns) FROM STDIN WITH (FORMAT csv, HEADER \(spec.header))", fromFile: csvPath)
            copied = Int(result.commandTag.split(separator: " ").last ?? "") ?? 0
            observed.append("COPY loaded \(copied) row(s) into \(spec.table)")
        } catch {
            var message = "the restored schema refuses the import: \(error.message)"
            if let detail = error.detail { message += " (\(detail))" }
            return (error.code == .queryFailed ? .failed : .error, message)
        }
        if let rows = spec.rows {
            if let equal = rows.equal, copied != equal { return (.failed, "the import loaded \(copied) row(s), expected \(equal)") }
            if let minimum = rows.min, copied < minimum { return (.failed, "the import loaded \(copied) row(s), expected at least \(minimum)") }
            if let maximum = rows.max, copied > maximum { return (.failed, "the import loaded \(copied) row(s), expected at most \(maximum)") }
        }
        if let query = spec.query {
            do {
                let value = try await session.query(query).bool()
                observed.append("after the import: \(query.trimmingCharacters(in: .whitespacesAndNewlines)) → \(value.map(String.init) ?? "no value")")
                if value != true { return (.failed, "after the import, the follow-up query did not return true") }
            } catch {
                return (error.code == .queryFailed ? .failed : .error, "the follow-up query failed: \(error)")
            }
        }
        return (.passed, "")
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
