import DrillSupport
import Foundation
import PostgresClient
import Reports

/// The quarantine of a restored copy, in layers, audited as test cases once the copy runs:
/// 1. containment (a sandbox or a container with no network), `ContainmentAudit`;
/// 2. the server settings given before the first start, `QuarantineSettings`, asserted from SQL;
/// 3. no inherited libpq configuration (`LibpqEnvironment`, `ChildEnvironment`);
/// and the drill's own `pg_hba.conf` (`ClientAuthentication`) throughout.
public enum Quarantine {
    /// Every case for `server`, connected to `database`. A physical copy's subscriptions are
    /// disabled and detached first (they come back enabled, with production's conninfo).
    public static func audit(_ server: any ProvisionedServer, database: String, listenOnLoopback: Bool, physical: Bool) async
        -> [ReportCase]
    {
        var cases: [ReportCase] = []
        switch server {
        case let local as PgCtlServer:
            if physical { cases += await QuarantineAudit.disableSubscriptions(server.connection) }
            cases += await ContainmentAudit.cases(local)
            let relayed = local.sandbox != nil && listenOnLoopback
            if relayed { cases.append(ContainmentAudit.relayCase(local)) }
            cases += await QuarantineAudit.audit(server.connection.with(database: database), listenOnLoopback: listenOnLoopback && !relayed)
        case let container as ContainerServer:
            if physical { cases += await QuarantineAudit.disableSubscriptions(server.connection) }
            cases += await ContainerQuarantine.audit(container, database: database, listenOnLoopback: listenOnLoopback)
        default:
            return [
                ReportCase(
                    name: "quarantine", status: .skipped,
                    message: "an external server is the provider's: the drill neither provisioned it nor changes its settings")
            ]
        }
        cases.append(ContainmentAudit.inheritedLibpqCase())
        return cases
    }
}
