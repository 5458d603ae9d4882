import DrillSupport
import Foundation
import Provisioning

/// What a restore produced.
public struct RestoreOutcome: Sendable {
    /// The database the backup was restored into.
    public var database: String
    /// Lines worth keeping in the report (tool, items restored, warnings).
    public var details: [String]
}

/// A way of getting a backup into a provisioned server: logical (`pg_restore`/`psql`) here,
/// physical (base backup + WAL) with the PITR work.
public protocol RestoreMethod: Sendable {
    /// Name used in reports (`pg_restore`, `psql`).
    var toolName: String { get }
    /// Restores into `server`; throws `RestoreError` classified as failure (bad backup) or error (harness).
    func restore(into server: any ProvisionedServer, progress: @escaping @Sendable (String) -> Void) async throws
        -> RestoreOutcome
}
