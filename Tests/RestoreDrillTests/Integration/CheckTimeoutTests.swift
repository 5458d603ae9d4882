@testable import Checks
import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Testing

@Suite("Check timeouts", .serialized)
struct CheckTimeoutTests {
    @Test func aHangingCheckIsAnErrorAndItsQueryIsCancelledOnTheServer() async throws {
        guard let major = await ServerBinaries.installedMajors().first else {
            Issue.record("no PostgreSQL installed")
            return
        }
        let server = try await PgCtlProvisioner().provision(ProvisionRequest(majorVersion: major))
        let hanging = CheckDefinition(
            id: "slow", name: "Hangs", description: nil, tags: [], timeout: .seconds(1),
            kind: .sql(SQLCheck(query: "SELECT pg_sleep(120) IS NOT NULL", database: nil, parameters: [], expectation: .isTrue)),
            pack: "unit", file: "inline", failureMessage: nil)
        let quick = CheckDefinition(
            id: "quick", name: "Answers", description: nil, tags: [], timeout: .seconds(30),
            kind: .sql(SQLCheck(query: "SELECT true", database: nil, parameters: [], expectation: .isTrue)),
            pack: "unit", file: "inline", failureMessage: nil)
        let context = CheckContext(connection: server.connection, variables: [:], recoveryPoint: nil, concurrency: 2)

        let results = await CheckRunner.run([hanging, quick], context: context)

        #expect(results.map(\.check.id) == ["slow", "quick"], "report order is definition order")
        #expect(results[0].status == .error)
        #expect(results[0].message.contains("timed out after 1.0s; the query was cancelled on the server"))
        #expect(results[1].status == .passed)
        let probe = try await PostgresConnection.connect(server.connection)
        let sleeping = try await probe.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%'")
        probe.close()
        #expect(sleeping.int() == 0, "the timed-out query must not keep running")
        #expect(await server.tearDown().isEmpty)
    }
}
