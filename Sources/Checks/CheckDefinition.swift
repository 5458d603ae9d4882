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
    /// Ids of checks that must have passed before this one starts.
    public var after: [String] = []

    /// True when `selector` names this check: its id, one of its tags, or its pack.
    public func matches(_ selector: String) -> Bool {
        id == selector || tags.contains(selector) || pack == selector
    }
}

/// The kinds of check; the built-in kinds plug in here.
public enum CheckKind: Sendable {
    /// A query and what its result must be.
    case sql(SQLCheck)
    /// Any executable, given the restored server in the libpq variables.
    case command(CommandCheck)
    /// Listed tables exist and are readable, some with a minimum row count.
    case tables(TablesCheck)
    /// The newest value of a timestamp column is within a duration of the recovery point.
    case freshness(SQLCheck)
    /// `pg_amcheck` over the restored database (heap and btree).
    case integrity(IntegrityCheck)
    /// A role logs in with its password, and/or an application user's hash verifies.
    case login(LoginCheck)
    /// The application's import, COPYed in inside a transaction that is rolled back.
    case importRows(ImportCheck)
    /// A request to the application and what its response must be.
    case http(HTTPCheck)

    /// The drill-file name of the kind.
    public var name: String {
        switch self {
        case .sql: return "sql"
        case .command: return "command"
        case .tables: return "tables"
        case .freshness: return "freshness"
        case .integrity: return "integrity"
        case .login: return "login"
        case .importRows: return "import"
        case .http: return "http"
        }
    }

    /// Drill variables the check refers to (bound parameters and `${...}` references).
    public var variableNames: [String] {
        switch self {
        case .sql(let spec): return spec.parameters
        case .login(let spec): return spec.variableNames
        case .http(let spec): return spec.variableNames
        case .command(let spec): return spec.environment.values.flatMap(\.names)
        case .importRows(let spec):
            if case .command(let command) = spec.source { return command.environment.values.flatMap(\.names) }
            return []
        case .tables, .freshness, .integrity: return []
        }
    }
}

/// Tables that must exist and be readable: `schema.table`, globs allowed (`app.audit_*`).
public struct TablesCheck: Sendable {
    /// One entry of the list.
    public struct Entry: Sendable, Equatable {
        /// `schema.table`, with `*` and `?` as wildcards.
        public var pattern: String
        /// Each matching table must hold at least this many rows.
        public var minimumRows: Int?
    }

    public var entries: [Entry]
    /// Database to look in; the restored one when nil.
    public var database: String?
    /// Read every row of each table (not just the first page), for at most this long per
    /// table; a scan that runs out of time counts as readable so far.
    public var scanLimit: Duration? = nil
}

/// An executable run against the restored server: `psql`, `pg_prove`, a shell or bats script.
/// Exit 0 passes, 77 skips, 1 fails, anything else is an error; TAP on standard output turns
/// into one test case per TAP test.
public struct CommandCheck: Sendable {
    /// The program: a path (relative to the check file's folder) or a name looked up in PATH.
    public var program: String
    /// Its arguments, passed as they are (no shell).
    public var arguments: [String]
    /// Variables added to its environment; values may refer to drill variables (`${api_token}`).
    public var environment: [String: VariableTemplate]
    /// Its working directory (default: the check file's folder).
    public var workingDirectory: String
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
    /// What the first column measures (`schema.table.column` of a freshness check), for messages.
    public var subject: String? = nil
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

/// `pg_amcheck` over a database: heap pages and btree indexes, optionally checking that every
/// heap tuple has its index entries (`--heapallindexed`, slower).
public struct IntegrityCheck: Sendable {
    public var heapAllIndexed: Bool
    /// Database to check; the restored one when nil.
    public var database: String?
}
