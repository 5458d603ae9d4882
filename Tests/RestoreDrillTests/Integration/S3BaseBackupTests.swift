import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// Base backups and WAL archives in a moto bucket: planned from their small files, fetched
/// once into the drill's folder, recovered to a target; the bucket is only ever read.
@Suite("Base backups and WAL in S3", .serialized)
struct S3BaseBackupTests {
    static let environment = ["TEST_S3_KEY": "fixture", "TEST_S3_SECRET": "fixture-secret"]

    static func s3Lines(_ server: MotoServer) -> [String] {
        ["endpoint: \(server.endpoint)", "access_key: env:TEST_S3_KEY", "secret_key: env:TEST_S3_SECRET"]
    }

    /// Uploads the fixture's base backups under `base/` and its archive under `wal/` (less `skipping`).
    static func upload(_ fixture: PhysicalFixture, to server: MotoServer, skipping: [String] = []) async throws {
        try await server.fixture(["create-bucket", "backups", "--versioned"])
        try await server.fixture(["put-tree", "backups", "base/", fixture.catalog])
        try await server.fixture(["put-tree", "backups", "wal/", fixture.archive] + skipping.flatMap { ["--skip", $0] })
    }

    @Test func aBaseBackupAndItsWALInABucketRecoverToATimeWithExactlyTheRowsBeforeIt() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("s3-pitr", fixture: fixture)
        defer { drill.remove() }
        let recording = drill.workspace.file("moto-requests.jsonl")
        try await MotoServer.with(recording: recording) { server in
            try await Self.upload(fixture, to: server)
            let before = MotoRecording.requests(recording).count
            let mark = fixture.marks[2]
            drill.catalog = "s3://backups/base/"
            drill.archive = "s3://backups/wal/"
            drill.extraBackup = Self.s3Lines(server)
            drill.target = "{time: '\(PointInTimeTests.iso(mark.time))'}"
            drill.expectedRows = mark.rows

            // Planning reads the small files only: the manifest and the backup history, not the tar.
            let planned = try await drill.run("plan", environment: Self.environment)
            #expect(planned.exitCode == 0, "\(planned.allOutput)")
            #expect(planned.standardOutput.contains("base backup base1 of 1 in s3://backups/base/"), "\(planned.standardOutput)")
            #expect(planned.standardOutput.contains("to fetch from s3://backups/wal"), "\(planned.standardOutput)")
            #expect(planned.standardOutput.contains("PostgreSQL 15"), "\(planned.standardOutput)")
            let planGets = MotoRecording.requests(recording).dropFirst(before).filter { $0.method == "GET" }.map(\.path)
            #expect(!planGets.contains { $0.hasSuffix("/base.tar") }, "plan downloaded the base backup: \(planGets)")
            #expect(planGets.contains { $0.hasSuffix("/base1/backup_manifest") }, "\(planGets)")

            let run = try await drill.run(environment: Self.environment)

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let fetched = try drill.cases(ofSuite: "fetch").first { $0["name"] as? String == "backup fetched" }
            #expect((fetched?["output"] as? String)?.contains("from s3://backups/base/base1 and s3://backups/wal into") == true, "\(String(describing: fetched))")
            let recovery = try #require(try drill.report()["recovery"] as? [String: Any])
            #expect(recovery["reached"] as? Bool == true && recovery["base_backup"] as? String == "base1", "\(recovery)")
            let suites = try drill.report()["suites"] as? [[String: Any]] ?? []
            let rows = suites.flatMap { $0["cases"] as? [[String: Any]] ?? [] }.first { $0["name"] as? String == "Rows present at the target" }
            #expect(rows?["status"] as? String == "passed", "\(String(describing: rows))")
            #expect((try drill.report()["backup"] as? [String: Any])?["location"] as? String == "s3://backups/base/base1")
            let writes = MotoRecording.requests(recording).dropFirst(before).filter { !["GET", "HEAD"].contains($0.method) }.map { "\($0.method) \($0.path)" }
            #expect(writes.isEmpty, "the drill wrote to the store: \(writes)")
            #expect(drill.workspace.leftoversInTmp().isEmpty, "the fetched copy was left behind: \(drill.workspace.leftoversInTmp())")
            #expect(drill.workspace.leftoverServerProcesses().isEmpty)
        }
    }

    @Test func aSegmentMissingFromTheBucketsArchiveIsNamedAndNothingIsRestored() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("s3-gap", fixture: fixture)
        defer { drill.remove() }
        let removed = try #require(fixture.archivedSegments.dropLast().last)
        try await MotoServer.with { server in
            try await Self.upload(fixture, to: server, skipping: [removed])
            drill.catalog = "s3://backups/base"
            drill.archive = "s3://backups/wal"
            drill.extraBackup = Self.s3Lines(server)

            let run = try await drill.run(environment: Self.environment)

            #expect(run.exitCode == 1, "\(run.allOutput)")
            let gap = try drill.cases(ofSuite: "verify").first { $0["name"] as? String == "WAL archive holds every segment replay needs" }
            #expect(gap?["status"] as? String == "failed", "\(String(describing: gap))")
            #expect((gap?["message"] as? String)?.contains("WAL segment \(removed) is missing from s3://backups/wal") == true, "\(String(describing: gap))")
            let suites = try (drill.report()["suites"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(!suites.contains("restore"), "\(suites)")
            #expect(drill.workspace.leftoversInTmp().isEmpty)
        }
    }

    @Test func aTarBackupWithoutItsManifestIsRefusedWithWhatToDo() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("s3-no-manifest", fixture: fixture)
        defer { drill.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "backups"])
            try await server.fixture(["put-tree", "backups", "base/", fixture.catalog, "--skip", "base1/backup_manifest"])
            try await server.fixture(["put-tree", "backups", "wal/", fixture.archive])
            drill.catalog = "s3://backups/base/"
            drill.archive = "s3://backups/wal/"
            drill.extraBackup = Self.s3Lines(server)

            let run = try await drill.run(environment: Self.environment)

            #expect(run.exitCode == 3, "\(run.allOutput)")
            #expect(run.allOutput.contains("s3://backups/base/base1 has no backup_manifest with WAL-Ranges"), "\(run.allOutput)")
        }
    }
}
