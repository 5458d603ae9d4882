import DrillSupport
import Foundation
import Provisioning

/// What a restore produced.
public struct RestoreOutcome: Sendable {
    /// The database the backup was restored into.
    public var database: String
    /// Lines worth keeping in the report (tool, items restored, warnings).
    public var details: [String]
    /// What the backup held, when the restore read it whole on the way (plain SQL).
    public var inventory: BackupInventory?
    /// Every database the restore ran in, in order (a plain dump may `\connect` to others).
    public var databases: [String]

    /// Creates an outcome.
    public init(database: String, details: [String], inventory: BackupInventory? = nil, databases: [String]? = nil) {
        self.database = database
        self.details = details
        self.inventory = inventory
        self.databases = databases ?? [database]
    }
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
