import DrillSupport
import Foundation
import PostgresClient

/// Runs one `sql` check on its own connection and judges the result.
enum SQLCheckRunner {
    static func run(_ check: CheckDefinition, spec: SQLCheck, context: CheckContext) async -> (CheckStatus, String, String) {
        var parameters: [String?] = []
        for name in spec.parameters {
            guard let value = context.variables[name] else {
                return (.error, "the check binds the drill variable '\(name)', which the drill file does not define", "")
            }
            parameters.append(value)
        }
        let target = spec.database.map { context.connection.with(database: $0) } ?? context.connection
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(target)
        } catch {
            return (.error, "cannot connect to the restored server: \(error)", "")
        }
        defer { connection.close() }
        let result: QueryResult
        do {
            result = try await connection.query(spec.query, parameters)
        } catch {
            switch error.code {
            case .cancelled: return (.error, "the query was cancelled", "")
            case .connectionLost, .connectionFailed: return (.error, "lost the connection to the restored server: \(error)", "")
            case .queryFailed:
                // A syntax error is the check's own fault; anything else (missing table, bad data) is the restore's.
                let status: CheckStatus = error.sqlState == "42601" ? .error : .failed
                return (status, "the query failed: \(error)", "")
            }
        }
        return judge(result, expectation: spec.expectation, recoveryPoint: context.recoveryPoint, subject: spec.subject)
    }

    /// Compares a result with an expectation; returns status, message and what was observed.
    static func judge(_ result: QueryResult, expectation: SQLExpectation, recoveryPoint: Date?, subject: String? = nil) -> (CheckStatus, String, String) {
        switch expectation {
        case .isTrue:
            guard result.rows.count == 1, result.columns.count >= 1 else {
                return (.failed, "expected one row with a boolean, got \(result.rows.count) row(s)", "\(result.rows.count) rows")
            }
            switch result.bool() {
            case true?: return (.passed, "", "true")
            case false?: return (.failed, "the query returned false", "false")
            case nil: return (.failed, "expected true, got \(result.value().map { "'\($0)'" } ?? "NULL")", result.value() ?? "NULL")
            }
        case .rows(let min, let max, let equal):
            let count = result.rows.count
            let shown = result.rows.prefix(10).map { $0.map { $0 ?? "NULL" }.joined(separator: " | ") }
            let observed = "\(count) row(s)" + (shown.isEmpty ? "" : ":\n" + shown.joined(separator: "\n")) + (count > 10 ? "\n…" : "")
            if let equal, count != equal {
                let first = equal == 0 && !shown.isEmpty ? "; first: " + shown.prefix(3).joined(separator: "; ") : ""
                return (.failed, "expected exactly \(equal) row(s), got \(count)\(first)", observed)
            }
            if let min, count < min { return (.failed, "expected at least \(min) row(s), got \(count)", observed) }
            if let max, count > max { return (.failed, "expected at most \(max) row(s), got \(count)", observed) }
            return (.passed, "", observed)
        case .value(let expected):
            let actual = result.value()
            guard actual == expected else {
                return (.failed, "expected '\(expected)', got \(actual.map { "'\($0)'" } ?? (result.rows.isEmpty ? "no rows" : "NULL"))", actual ?? "NULL")
            }
            return (.passed, "", expected)
        case .within(let window):
            guard let text = result.value() else {
                // An empty table proves no freshness: it fails, saying so rather than "got NULL".
                if let subject {
                    return (
                        .failed,
                        "\(subject) holds no timestamp (the table is empty, or the column is NULL in every row), so nothing shows the restored data reaches the recovery point",
                        "no rows")
                }
                return (.failed, "expected a timestamp, got \(result.rows.isEmpty ? "no rows" : "NULL")", "NULL")
            }
            guard let timestamp = TimestampText.parse(text) else {
                return (.error, "the query must return a timestamptz; got '\(text)'", text)
            }
            guard let recoveryPoint else { return (.skipped, "no recovery point is known to compare '\(text)' with", text) }
            let age = recoveryPoint.timeIntervalSince(timestamp)
            if age > window.seconds {
                return (
                    .failed,
                    "newest timestamp \(text) is \(DrillDuration.format(.milliseconds(Int64(age * 1000)))) before the recovery point; allowed \(DrillDuration.format(window))",
                    text
                )
            }
            return (.passed, "", text)
        }
    }
}
