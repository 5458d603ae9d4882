import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// pgBackRest repositories as a drill source, made with the real tool.
@Suite("pgBackRest repositories", .serialized)
struct PgBackRestTests {
    static func drillFile(_ workspace: TestWorkspace, _ fixture: PgBackRestFixture, recovery: [String], checks: [String]) throws -> String {
        let lines = [
            "name: pgbackrest-drill", "targets: {rpo: 1h, rto: 15m}",
            "backup:", "  format: pgbackrest", "  location: \(fixture.repository)", "  stanza: \(PgBackRestFixture.stanza)",
            "postgres:", "  provisioner: pg_ctl",
            "recovery:",
        ] + recovery.map { "  " + $0 } + ["checks:"] + checks.map { "  - \($0)" } + ["reports:", "  dir: \(workspace.file("reports"))"]
        return try workspace.write("drill.yaml", lines.joined(separator: "\n") + "\n")
    }

    static func rowsCheck(_ workspace: TestWorkspace, rows: Int) throws -> String {
        try workspace.write(
            "checks/rows.yaml",
            """
            id: pitr.rows
            kind: sql
            database: postgres
            query: SELECT count(*) = \(rows) FROM drill_events
            expect: true
            """)
    }

    @Test func aRepositoryRestoresToATimeTargetWithExactlyTheRowsBeforeIt() async throws {
        let fixture = try await PgBackRestFixture.make(label: "time")
        defer { fixture.remove() }
        let workspace = try TestWorkspace("pgbackrest-time")
        defer { workspace.remove() }
        let repositoryBefore = try await ContentDigest.of(path: fixture.repository)
        let mark = fixture.physical.marks[1]
        let path = try Self.drillFile(
            workspace, fixture, recovery: ["target: {time: '\(TimestampText.iso(mark.time))'}"], checks: [try Self.rowsCheck(workspace, rows: mark.rows)])

        let run = try await DrillCLI.run(["run", path], workspace: workspace)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try DrillCLI.report(in: workspace.file("reports"))
        let suites = report["suites"] as? [[String: Any]] ?? []
        let cases = { (name: String) in suites.first { $0["name"] as? String == name }?["cases"] as? [[String: Any]] ?? [] }
        let verified = cases("verify").first { $0["name"] as? String == "pgbackrest verify" }
        #expect(verified?["status"] as? String == "passed" && (verified?["output"] as? String)?.contains("status: ok") == true, "\(cases("verify"))")
        #expect(cases("recover").first?["status"] as? String == "passed")
        #expect(cases("checks.checks").first?["status"] as? String == "passed", "\(cases("checks.checks"))")
        #expect((report["backup"] as? [String: Any])?["format"] as? String == "pgbackrest/full")
        #expect(try await ContentDigest.of(path: fixture.repository) == repositoryBefore, "the drill changed the repository")
        #expect(workspace.leftoversInTmp().isEmpty && workspace.leftoverServerProcesses().isEmpty)
    }

    @Test func aRepositoryInABucketBehindTLSRestoresToATimeTargetAndIsOnlyRead() async throws {
        let workspace = try TestWorkspace("pgbackrest-s3")
        defer { workspace.remove() }
        let recording = workspace.file("moto-requests.jsonl")
        try await MotoServer.with(recording: recording) { server in
            try await server.fixture(["create-bucket", "pgbr"])
            let front = try await TLSFront.start(upstream: server.endpoint)
            let fixture = try await PgBackRestFixture.make(label: "s3", batches: 3, bucket: .init(name: "pgbr", front: front))
            defer { fixture.remove() }
            let before = MotoRecording.requests(recording).count
            let mark = fixture.physical.marks[1]
            let lines = [
                "name: pgbackrest-s3", "targets: {rpo: 1h, rto: 15m}",
                "backup:", "  format: pgbackrest", "  location: s3://pgbr/repo", "  stanza: \(PgBackRestFixture.stanza)",
                "  endpoint: \(front.endpoint)", "  ca_bundle: \(front.certificate)", "  access_key: env:TEST_S3_KEY", "  secret_key: env:TEST_S3_SECRET",
                "postgres:", "  provisioner: pg_ctl",
                "recovery:", "  target: {time: '\(TimestampText.iso(mark.time))'}",
                "checks:", "  - \(try Self.rowsCheck(workspace, rows: mark.rows))",
                "reports:", "  dir: \(workspace.file("reports"))",
            ]
            let path = try workspace.write("drill.yaml", lines.joined(separator: "\n") + "\n")

            let run = try await DrillCLI.run(["run", path], workspace: workspace, environment: ["TEST_S3_KEY": "fixture", "TEST_S3_SECRET": "fixture-secret"])
            await front.stop()

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let report = try DrillCLI.report(in: workspace.file("reports"))
            let suites = report["suites"] as? [[String: Any]] ?? []
            let cases = { (name: String) in suites.first { $0["name"] as? String == name }?["cases"] as? [[String: Any]] ?? [] }
            #expect(cases("verify").first { $0["name"] as? String == "pgbackrest verify" }?["status"] as? String == "passed", "\(cases("verify"))")
            let restored = cases("restore").first?["output"] as? String ?? ""
            #expect(restored.contains("of s3://pgbr/repo") && restored.contains("fetched with pgbackrest archive-get"), "\(restored)")
            #expect(cases("recover").first?["status"] as? String == "passed", "\(cases("recover"))")
            #expect(cases("checks.checks").first?["status"] as? String == "passed", "\(cases("checks.checks"))")
            let writes = MotoRecording.requests(recording).dropFirst(before).filter { !["GET", "HEAD"].contains($0.method) }.map { "\($0.method) \($0.path)" }
            #expect(writes.isEmpty, "the drill wrote to the repository: \(writes)")
            #expect(MotoRecording.requests(recording).count > before, "nothing was read from the bucket")
            #expect(!run.allOutput.contains("fixture-secret"), "the secret key leaked into the output")
            #expect(workspace.leftoversInTmp().isEmpty && workspace.leftoverServerProcesses().isEmpty)
        }
    }

    @Test func aSegmentMissingFromTheRepositoryIsNamed() async throws {
        let fixture = try await PgBackRestFixture.make(label: "gap")
        defer { fixture.remove() }
        let workspace = try TestWorkspace("pgbackrest-gap")
        defer { workspace.remove() }
        // Remove one archived segment after the backup's own.
        let archive = fixture.repository + "/archive/\(PgBackRestFixture.stanza)"
        let files = (FileManager.default.enumerator(atPath: archive)?.allObjects as? [String] ?? [])
            .filter { ($0 as NSString).lastPathComponent.dropFirst(24).hasPrefix("-") }.sorted()
        #expect(files.count >= 3, "\(files)")
        let removed = files[files.count - 2]
        try FileManager.default.removeItem(atPath: archive + "/" + removed)
        let path = try Self.drillFile(workspace, fixture, recovery: ["target: latest"], checks: [])

        let run = try await DrillCLI.run(["run", path], workspace: workspace)

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let segment = String((removed as NSString).lastPathComponent.prefix(24))
        #expect(run.allOutput.contains("WAL segment \(segment) is missing"), "\(run.allOutput)")
    }

    @Test func aDamagedFileInTheRepositoryFailsPgbackrestVerifyAndNothingIsRestored() async throws {
        let fixture = try await PgBackRestFixture.make(label: "damaged", batches: 1)
        defer { fixture.remove() }
        let workspace = try TestWorkspace("pgbackrest-damaged")
        defer { workspace.remove() }
        let backups = fixture.repository + "/backup/\(PgBackRestFixture.stanza)"
        let files = (FileManager.default.enumerator(atPath: backups)?.allObjects as? [String] ?? []).filter { $0.hasSuffix("/PG_VERSION.gz") || $0.hasSuffix("pg_data/global/pg_control.gz") }
        let victim = backups + "/" + (files.first { $0.hasSuffix("pg_control.gz") } ?? files[0])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: victim))
        let path = try Self.drillFile(workspace, fixture, recovery: ["target: latest"], checks: [])

        let run = try await DrillCLI.run(["run", path], workspace: workspace)

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let suites = try DrillCLI.report(in: workspace.file("reports"))["suites"] as? [[String: Any]] ?? []
        let verify = suites.first { $0["name"] as? String == "verify" }?["cases"] as? [[String: Any]] ?? []
        #expect(verify.first { $0["name"] as? String == "pgbackrest verify" }?["status"] as? String == "failed", "\(verify)")
        #expect(!suites.contains { $0["name"] as? String == "restore" })
    }
}
