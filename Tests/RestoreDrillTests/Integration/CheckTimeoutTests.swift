@testable import Checks
import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Testing

@Suite("Check timeouts", .serialized)
struct CheckTimeoutTests {
    static func check(_ id: String, _ query: String, timeout: Duration) -> CheckDefinition {
        CheckDefinition(
            id: id, name: id, description: nil, tags: [], timeout: timeout,
            kind: .sql(SQLCheck(query: query, database: nil, parameters: [], expectation: .isTrue)), pack: "unit",
            file: "inline", failureMessage: nil)
    }

    @Test func aHangingCheckIsAnErrorAndItsQueryIsCancelledOnTheServer() async throws {
        try await TestServer.with { server in
            let checks = [
                Self.check("slow", "SELECT pg_sleep(120) IS NOT NULL", timeout: .seconds(1)),
                Self.check("quick", "SELECT true", timeout: .seconds(30)),
            ]
            let context = CheckContext(connection: server.connection, variables: [:], recoveryPoint: nil, concurrency: 2)

            let results = await CheckRunner.run(checks, context: context)

            #expect(results.map(\.check.id) == ["slow", "quick"], "report order is definition order")
            #expect(results[0].status == .error)
            #expect(results[0].message.contains("timed out after 1.0s; the query was cancelled on the server"))
            #expect(results[1].status == .passed)
            let probe = try await PostgresConnection.connect(server.connection)
            defer { probe.close() }
            let sleeping = try await probe.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%'")
            #expect(sleeping.int() == 0, "the timed-out query must not keep running")
        }
    }
}
