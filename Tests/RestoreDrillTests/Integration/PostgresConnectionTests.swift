import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Testing

@Suite("libpq wrapper against a real server", .serialized)
struct PostgresConnectionTests {
    @Test func queriesWithParametersNoticesErrorsAndCancel() async throws {
        try await TestServer.with { server in
            let connection = try await PostgresConnection.connect(server.connection)
            defer { connection.close() }

            let typed = try await connection.query("SELECT $1::int + 1, $2::text IS NULL, 'x'::text", ["41", nil])
            #expect(typed.int() == 42)
            #expect(typed.bool(column: 1) == true)
            #expect(typed.columns.map(\.typeOID) == [23, 16, 25])

            let noticed = try await connection.execute("DO $$ BEGIN RAISE NOTICE 'hello from the server'; END $$")
            #expect(noticed.notices == [PostgresNotice(severity: "NOTICE", message: "hello from the server")])

            await #expect {
                _ = try await connection.query("SELECT * FROM no_such_table")
            } throws: { error in
                guard let error = error as? PostgresError else { return false }
                return error.code == .queryFailed && error.sqlState == "42P01" && error.message.contains("no_such_table")
            }

            let sleeping = Task { try await connection.query("SELECT pg_sleep(60)") }
            try await Task.sleep(for: .milliseconds(300))
            sleeping.cancel()
            await #expect {
                _ = try await sleeping.value
            } throws: { error in
                (error as? PostgresError)?.code == .cancelled
            }
            let stillUsable = try await connection.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'")
            #expect(stillUsable.int() == 0, "the cancelled query must not keep running on the server")
        }
    }

    @Test func aWrongPasswordIsAConnectionFailureWithoutThePassword() async throws {
        try await TestServer.with { server in
            var wrong = server.connection
            wrong.password = "definitely-not-it"
            await #expect {
                _ = try await PostgresConnection.connect(wrong)
            } throws: { error in
                guard let error = error as? PostgresError else { return false }
                return error.code == .connectionFailed && error.message.contains("password authentication failed")
                    && !error.description.contains("definitely-not-it")
            }
        }
    }
}
