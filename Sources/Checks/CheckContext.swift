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
    /// The drill's sandbox: programs run for checks and services join its PID namespace, so
    /// nothing they start outlives the drill (nil: none could be had).
    public var sandbox: DrillSandbox?

    /// `invocation` as a check's or service's program runs it: in the drill's PID namespace and,
    /// with `ownProcessNamespace`, one of its own, so that its background children end with it.
    public func contained(_ invocation: ToolInvocation, ownProcessNamespace: Bool = true) -> ToolInvocation {
        sandbox?.wrap(invocation, scope: .client(ownProcessNamespace: ownProcessNamespace)) ?? invocation
    }

    /// The environment of a program run for a check or a service: the restored server in the
    /// libpq variables, the drill in `DRILL_*`, plain (non-secret) drill variables as
    /// `DRILL_VAR_<name>`, the server's `bin` first in `PATH`, then `additions` rendered.
    public func programEnvironment(adding additions: [String: VariableTemplate]) throws(TemplateError) -> [String: String] {
        var environment = connection.libpqEnvironment
        for (key, value) in drillEnvironment { environment[key] = value }
        for (name, value) in variables where !SecretMasker.shared.isSecret(value) {
            let key = "DRILL_VAR_" + String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
            environment[key] = value
        }
        if !binDirectory.isEmpty {
            environment["PATH"] = binDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        }
        for (key, value) in additions { environment[key] = try value.render(variables) }
        return environment
    }

    /// Creates a context.
    public init(connection: ConnectionParameters, variables: [String: String], recoveryPoint: Date?, concurrency: Int) {
        self.connection = connection
        self.variables = variables
        self.recoveryPoint = recoveryPoint
        self.concurrency = concurrency
    }
}
