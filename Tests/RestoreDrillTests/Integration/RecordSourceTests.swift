import DrillSupport
import DrillTestSupport
import Foundation
import PostgresClient
import Provisioning
import Restore
import Testing

/// `record --source`: the fingerprints and the dump describe one snapshot of the source, which
/// is only read.
@Suite("record --source")
struct RecordSourceTests {
    @Test func recordRunsPgDumpInTheSnapshotItFingerprints() async throws {
        let workspace = try TestWorkspace("record-source")
        defer { workspace.remove() }
        let source = try await PgCtlProvisioner().provision(ProvisionRequest(majorVersion: try await TestServer.newestMajor(), quarantined: false))
        do {
            let session = try await PostgresConnection.connect(source.connection)
            _ = try await session.execute("CREATE TABLE public.items (id int, note text); INSERT INTO items SELECT n, 'n' || n FROM generate_series(1, 250) n")
            session.close()
            let c = source.connection
            let dsn = "host=\(c.host) port=\(c.port) user=\(c.user) password=\(c.password ?? "") dbname=postgres"
            let artifact = workspace.file("source.dump")

            let missingMoment = try await DrillCLI.run(["record", artifact, "--source", dsn], workspace: workspace)
            #expect(missingMoment.exitCode == 2 && missingMoment.standardError.contains("exactly one of --snapshot"), "\(missingMoment.allOutput)")
            let badSnapshot = try await DrillCLI.run(["record", artifact, "--source", dsn, "--snapshot", "x; DROP TABLE items"], workspace: workspace)
            #expect(badSnapshot.exitCode == 2 && badSnapshot.standardError.contains("is not a snapshot id"), "\(badSnapshot.allOutput)")

            let recorded = try await DrillCLI.run(["record", artifact, "--source", dsn, "--dump", "custom"], workspace: workspace)
            #expect(recorded.exitCode == 0, "\(recorded.allOutput)")
            #expect(!recorded.allOutput.contains(c.password ?? "never"), "the password is never printed")
            let metadata = try BackupMetadata.load(path: BackupMetadata.sidecarPath(for: artifact))
            let fingerprints = try #require(metadata.inventory?.fingerprints)
            #expect(fingerprints.tables["public.items"]?.rows == 250)
            #expect(metadata.inventory?.rows == ["public.items": 250])
            #expect(metadata.inventory?.tablesWithData == ["public.items"])
            let again = try await DrillCLI.run(["record", artifact, "--source", dsn, "--dump", "custom"], workspace: workspace)
            #expect(again.exitCode == 2 && again.standardError.contains("never replaces one"), "\(again.allOutput)")
            _ = await source.tearDown()
        } catch {
            _ = await source.tearDown()
            throw error
        }
    }

    /// Rows are hashed in the database's encoding: a copy restored into another encoding is an
    /// error that says so, never a list of "changed" tables.
    @Test func fingerprintsOfAnotherEncodingAreAnErrorNotAFalseAlarm() async throws {
        let workspace = try TestWorkspace("record-encoding")
        defer { workspace.remove() }
        let source = try await PgCtlProvisioner().provision(ProvisionRequest(majorVersion: try await TestServer.newestMajor(), quarantined: false))
        do {
            let admin = try await PostgresConnection.connect(source.connection)
            _ = try await admin.execute("CREATE DATABASE legacy ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
            admin.close()
            let session = try await PostgresConnection.connect(source.connection.with(database: "legacy"))
            _ = try await session.execute("CREATE TABLE public.names (n text); INSERT INTO names VALUES ('Ærø'), ('Zoë')")
            session.close()
            let c = source.connection
            let dsn = "host=\(c.host) port=\(c.port) user=\(c.user) password=\(c.password ?? "") dbname=legacy"
            let artifact = workspace.file("legacy.sql")
            let recorded = try await DrillCLI.run(["record", artifact, "--source", dsn, "--dump", "plain"], workspace: workspace)
            #expect(recorded.exitCode == 0, "\(recorded.allOutput)")
            _ = await source.tearDown()
            var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
            builder.checks = []
            builder.variables = ["note: encoding"]
            builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]
            let run = try await DrillCLI.run(["run", try workspace.write("drill.yaml", builder.yaml)], workspace: workspace)
            #expect(run.exitCode == 3, "\(run.allOutput)")
            #expect(run.allOutput.contains("the source database is LATIN1 and the restored one UTF8"), "\(run.allOutput)")
        } catch {
            _ = await source.tearDown()
            throw error
        }
    }
}
