import DrillSupport
import Foundation
import PostgresClient

/// What checks run against: the restored server and the drill's variables.
public struct CheckContext: Sendable {
    /// Superuser connection to the restored database.
    public var connection: ConnectionParameters
    /// Drill variables by name (secret values already resolved and registered for masking).
    public var variables: [String: String]
    /// The moment the restored data represents (backup time for a logical dump).
    public var recoveryPoint: Date?
    /// How many checks run at once.
    public var concurrency: Int
    /// The restored server's `bin` directory (pg_amcheck...).
    public var binDirectory: String = ""
    /// `DRILL_*` variables for command checks (name, recovery target and point, report dir).
    public var drillEnvironment: [String: String] = [:]

    /// Creates a context.
    public init(connection: ConnectionParameters, variables: [String: String], recoveryPoint: Date?, concurrency: Int) {
        self.connection = connection
        self.variables = variables
        self.recoveryPoint = recoveryPoint
        self.concurrency = concurrency
    }
}
