import Foundation

/// A restore-side problem, classified the way the report needs it.
public struct RestoreError: Error, Sendable, CustomStringConvertible {
    /// `failure`: the backup is bad (checksum, truncated, corrupt, SQL error). `error`: the
    /// harness could not do the step (tool missing, disk full, server gone).
    public enum Kind: String, Sendable { case failure, error }

    /// Failure or error.
    public var kind: Kind
    /// Short stable name of the check that failed (`size`, `sha256`, `pg_restore`...).
    public var step: String
    /// What failed, where, and what to do.
    public var message: String
    /// Tool output or other detail for the report body.
    public var detail: String

    /// Creates an error.
    public init(_ kind: Kind, step: String, _ message: String, detail: String = "") {
        self.kind = kind
        self.step = step
        self.message = message
        self.detail = detail
    }

    public var description: String { message }
}
