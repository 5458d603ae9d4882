import Foundation

/// A failure talking to PostgreSQL, with a stable code and the server's own fields.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, stable for callers to switch on.
    public enum Code: String, Sendable {
        /// The connection could not be established.
        case connectionFailed
        /// The server rejected or failed the statement.
        case queryFailed
        /// The statement was cancelled (timeout or shutdown).
        case cancelled
        /// The connection broke while in use.
        case connectionLost
    }

    /// The kind of failure.
    public var code: Code
    /// SQLSTATE, e.g. `42P01` (undefined table); nil when the failure is not the server's.
    public var sqlState: String?
    /// Primary message.
    public var message: String
    /// The server's DETAIL line.
    public var detail: String?
    /// The server's HINT line.
    public var hint: String?
    /// Where the target was, for messages (`user@host:port/db`).
    public var target: String

    /// Creates an error.
    public init(code: Code, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil, target: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.target = target
    }

    /// The server message with SQLSTATE, detail and hint, one line.
    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { text += "; detail: \(detail)" }
        if let hint, !hint.isEmpty { text += "; hint: \(hint)" }
        return text
    }
}

/// A NOTICE or WARNING the server sent while a statement ran.
public struct PostgresNotice: Sendable, Equatable {
    /// `NOTICE`, `WARNING`, `INFO`...
    public var severity: String
    /// The message.
    public var message: String

    /// Creates a notice.
    public init(severity: String, message: String) {
        self.severity = severity
        self.message = message
    }
}
