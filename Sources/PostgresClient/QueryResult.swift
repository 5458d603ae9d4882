import Foundation

/// The rows of a statement in libpq's text format, with typed accessors.
public struct QueryResult: Sendable {
    /// One column of the result.
    public struct Column: Sendable, Equatable {
        /// Column name as the server sent it.
        public var name: String
        /// The type's OID (`16` bool, `20` int8, `25` text, `1184` timestamptz...).
        public var typeOID: UInt32
    }

    /// The columns in order.
    public var columns: [Column]
    /// The rows; `nil` for SQL NULL.
    public var rows: [[String?]]
    /// The command tag (`SELECT 3`, `INSERT 0 1`).
    public var commandTag: String
    /// Notices the server sent while the statement ran.
    public var notices: [PostgresNotice]

    /// The value at `row`, `column` as text, or nil for NULL or out of range.
    public func value(row: Int = 0, column: Int = 0) -> String? {
        guard rows.indices.contains(row), rows[row].indices.contains(column) else { return nil }
        return rows[row][column]
    }

    /// The value read as a PostgreSQL boolean (`t`/`f`).
    public func bool(row: Int = 0, column: Int = 0) -> Bool? {
        switch value(row: row, column: column) {
        case "t", "true": return true
        case "f", "false": return false
        default: return nil
        }
    }

    /// The value read as an integer.
    public func int(row: Int = 0, column: Int = 0) -> Int64? {
        value(row: row, column: column).flatMap { Int64($0) }
    }

    /// The value read as a number.
    public func double(row: Int = 0, column: Int = 0) -> Double? {
        value(row: row, column: column).flatMap { Double($0) }
    }

    /// The named column's index, if present.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }
}
