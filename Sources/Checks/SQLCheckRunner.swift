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
        return judge(result, expectation: spec.expectation, recoveryPoint: context.recoveryPoint)
    }

    /// Compares a result with an expectation; returns status, message and what was observed.
    static func judge(_ result: QueryResult, expectation: SQLExpectation, recoveryPoint: Date?) -> (CheckStatus, String, String) {
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
            let observed = "\(count) row(s)"
            if let equal, count != equal { return (.failed, "expected exactly \(equal) row(s), got \(count)", observed) }
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
            guard let text = result.value() else { return (.failed, "expected a timestamp, got \(result.rows.isEmpty ? "no rows" : "NULL")", "NULL") }
            guard let timestamp = PostgresTimestamp.parse(text) else {
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

/// Parses PostgreSQL's ISO timestamptz output (`2026-11-24 17:01:02.123456+00`, `+05:30`).
public enum PostgresTimestamp {
    /// The instant, or nil when `text` is not a timestamptz.
    public static func parse(_ text: String) -> Date? {
        let pattern = #"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-]\d{2})(?::?(\d{2}))?$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
        else { return nil }
        func group(_ index: Int) -> String? {
            guard let range = Range(match.range(at: index), in: text) else { return nil }
            return String(text[range])
        }
        var components = DateComponents()
        components.year = Int(group(1)!)
        components.month = Int(group(2)!)
        components.day = Int(group(3)!)
        components.hour = Int(group(4)!)
        components.minute = Int(group(5)!)
        components.second = Int(group(6)!)
        let hours = Int(group(8)!)!
        let minutes = Int(group(9) ?? "0")!
        components.timeZone = TimeZone(secondsFromGMT: hours * 3600 + (hours < 0 ? -minutes : minutes) * 60)
        guard let base = Calendar(identifier: .gregorian).date(from: components) else { return nil }
        return base.addingTimeInterval(Double("0" + (group(7) ?? "")) ?? 0)
    }
}
