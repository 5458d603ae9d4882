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
}
