import DrillSupport
import DrillTestSupport
import PostgresClient
import Foundation
import Restore
import Testing

/// Every pg_dump format, and outer compression detected by magic bytes, restores and passes.
@Suite("Backup formats and compression", .serialized)
struct FormatTests {
    @Test(arguments: [
        (DumpFormat.directory, Compression.none), (.tar, .none), (.plain, .none), (.custom, .gzip), (.custom, .zstd),
        (.plain, .gzip), (.plain, .lz4),
    ])
    func restoresAndPasses(format: DumpFormat, compression: Compression) async throws {
        let sample = try await SampleDrill.prepare("format", format: format, compression: compression)
        defer { sample.remove() }

        let run = try await sample.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try sample.report()
        #expect((report["backup"] as? [String: Any])?["format"] as? String == "pg_dump/\(format.rawValue)")
        let checks = report["checks"] as? [[String: Any]] ?? []
        let passed = checks.filter { $0["status"] as? String == "passed" }.count
        #expect(checks.count == 9 && passed == 7, "\(checks.filter { $0["status"] as? String != "passed" })")
        if format == .plain {
            // psql cannot skip ownership: the roles the dump names are created first.
            let restore = try sample.cases(ofSuite: "restore").first?["output"] as? String ?? ""
            #expect(restore.contains("app_owner, app_reader"), "\(restore)")
        }
        #expect(sample.workspace.leftoversInTmp().isEmpty)
    }

    /// A fresh cluster already has a `postgres` database: a dump of it goes into that one.
    @Test func aDumpOfThePostgresDatabaseRestores() async throws {
        let workspace = try TestWorkspace("postgresdb")
        defer { workspace.remove() }
        let artifact = workspace.file("postgres.dump")
        try await TestServer.with { server in
            let session = try await PostgresConnection.connect(server.connection)
            defer { session.close() }
            _ = try await session.execute("CREATE TABLE kept AS SELECT generate_series(1, 100) AS n")
            let dump = try await ProcessRunner.run(
                ToolInvocation(
                    executable: server.binaries.path("pg_dump"), arguments: ["--format=custom", "--file=\(artifact)", "postgres"],
                    environment: server.connection.libpqEnvironment))
            #expect(dump.succeeded, "\(dump.standardError)")
        }
        let check = try workspace.write("checks/kept.yaml", "id: kept\nquery: SELECT count(*)::text FROM kept\nexpect: {value: '100'}\n")
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks = [check]
        builder.variables = ["unused: x"]
        let run = try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)
        #expect(run.exitCode == 0, "\(run.allOutput)")
    }
}
