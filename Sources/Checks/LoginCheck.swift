/// Proves someone can still log in after the restore, one or both ways:
/// a database role authenticates with its password over a real connection (SCRAM), and/or an
/// application user's stored password hash verifies with the database's own `crypt()`.
public struct LoginCheck: Sendable {
    /// A role logging in to the restored server with a password.
    public struct RoleLogin: Sendable {
        public var role: VariableTemplate
        public var password: VariableTemplate
        /// Database to log in to; the restored one when nil.
        public var database: String?
    }

    /// A row of the application's users table whose hash must verify (pgcrypto: bcrypt, md5-crypt...).
    public struct AppUserLogin: Sendable {
        /// `schema.table` of the users.
        public var table: String
        /// Column → value the user row is found by (e.g. `email: ${admin_email}`); exactly one row must match.
        public var match: [(column: String, value: VariableTemplate)]
        /// Column holding the hash (`encrypted_password`, `password_hash`).
        public var hashColumn: String
        public var password: VariableTemplate
        /// Extra SQL condition the row must meet (e.g. `is_admin`), optional.
        public var condition: String?
        /// Match columns compared case-insensitively (`lower(column) = lower(value)`), as an
        /// application that lowercases emails finds its users.
        public var ignoringCase: Set<String> = []
        /// States of the found row that keep the user from logging in even with the right
        /// password (banned, deleted): the check fails with the rule's reason.
        public var refusals: [Refusal] = []
    }

    /// A row state that makes the login fail: `when` is SQL over the user row.
    public struct Refusal: Sendable {
        public var when: String
        public var because: String
    }

    public var role: RoleLogin?
    public var appUser: AppUserLogin?

    /// Every variable the check refers to.
    public var variableNames: [String] {
        var names: [String] = []
        if let role { names += role.role.names + role.password.names }
        if let appUser { names += appUser.match.flatMap(\.value.names) + appUser.password.names }
        return names
    }
}

/// Runs the application's catalog import against the restored schema inside a transaction
/// that is always rolled back: proves the schema still accepts the import without changing the copy.
public struct ImportCheck: Sendable {
    /// Where the rows come from.
    public enum Source: Sendable {
        /// A CSV file (path resolved against the check file's folder).
        case file(String)
        /// A program whose standard output is the CSV (an exporter, a generator).
        case command(CommandCheck)
    }

    /// `schema.table` the rows are copied into.
    public var table: String
    /// Columns in CSV order; all of the table's when empty.
    public var columns: [String]
    public var source: Source
    /// The CSV's first line is a header.
    public var header: Bool
    /// How many rows the COPY must load.
    public var rows: (min: Int?, max: Int?, equal: Int?)?
    /// A query run inside the same transaction after the COPY; it must return true.
    public var query: String?
    /// Database to import into; the restored one when nil.
    public var database: String?
}
