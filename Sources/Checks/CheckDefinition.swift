import DrillSupport
import Foundation

/// One smoke check from a check file.
public struct CheckDefinition: Sendable, Identifiable {
    /// Stable id, unique within a drill (`app.audit-log-present`).
    public var id: String
    /// Human name for reports.
    public var name: String
    /// Longer text for `checks list` and reports.
    public var description: String?
    /// Tags for selection.
    public var tags: [String]
    /// How long it may run before it is cancelled and reported as an error.
    public var timeout: Duration
    /// What it does.
    public var kind: CheckKind
    /// Pack (folder) it came from, which becomes its report suite.
    public var pack: String
    /// File it was defined in.
    public var file: String
    /// Message to use when it fails, instead of the generic one.
    public var failureMessage: String?
}

/// The kinds of check; `sql` first, `command` and the built-in kinds plug in here.
public enum CheckKind: Sendable {
    /// A query and what its result must be.
    case sql(SQLCheck)

    /// The drill-file name of the kind.
    public var name: String {
        switch self {
        case .sql: return "sql"
        }
    }
}

/// A query run against the restored database and the expectation on its result.
public struct SQLCheck: Sendable {
    /// The statement; `$1...` are bound from `parameters`.
    public var query: String
    /// Database to run in; the restored one when nil.
    public var database: String?
    /// Names of drill variables (secrets allowed) bound to `$1...` in order.
    public var parameters: [String]
    /// What the result must be.
    public var expectation: SQLExpectation
}

/// What a SQL check's result must be.
public enum SQLExpectation: Sendable, Equatable {
    /// One row whose first column is boolean true.
    case isTrue
    /// A row count within bounds.
    case rows(min: Int?, max: Int?, equal: Int?)
    /// The first column of the first row, as text, equals this.
    case value(String)
    /// The first column of the first row is a timestamp no older than this before the recovery point.
    case within(Duration)

    /// Short text for `checks list` and messages.
    public var summary: String {
        switch self {
        case .isTrue: return "returns true"
        case .rows(let min, let max, let equal):
            if let equal { return "returns exactly \(equal) row(s)" }
            return [min.map { "at least \($0)" }, max.map { "at most \($0)" }].compactMap { $0 }.joined(separator: " and ") + " row(s)"
        case .value(let value): return "returns '\(value)'"
        case .within(let duration): return "newest timestamp within \(DrillDuration.format(duration)) of the recovery point"
        }
    }
}
