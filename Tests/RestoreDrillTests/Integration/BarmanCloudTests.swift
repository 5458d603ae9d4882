import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// Barman cloud backups in a moto bucket, restored with Barman's own tools; the bucket is only read.
@Suite("Barman cloud backups", .serialized)
struct BarmanCloudTests {
    @Test func aBarmanCloudBackupRestoresToLatestAndToATime() async throws {
        let workspace = try TestWorkspace("barman-cloud")
        defer { workspace.remove() }
        let recording = workspace.file("moto-requests.jsonl")
        try await MotoServer.with(recording: recording) { moto in
            let fixture = try await BarmanCloudFixture.make(label: "latest", moto: moto, bucket: "barman")
            defer { fixture.physical.remove() }
            let before = MotoRecording.requests(recording).count
            func drill(_ target: String, rows: Int) throws -> String {
                let check = try workspace.write(
                    "checks/rows.yaml", "id: pitr.rows\nkind: sql\ndatabase: postgres\nquery: SELECT count(*) = \(rows) FROM drill_events\nexpect: true\n")
                return try workspace.write(
                    "drill.yaml",
                    """
                    name: barman-drill
                    targets: {rpo: 1h, rto: 15m}
                    backup:
                      format: barman_cloud
                      location: \(fixture.url)
                      server: \(BarmanCloudFixture.server)
                      endpoint: \(moto.endpoint)
                      access_key: env:TEST_S3_KEY
                      secret_key: env:TEST_S3_SECRET
                    postgres: {provisioner: pg_ctl}
                    recovery:
                      target: \(target)
                    checks: [\(check)]
                    reports: {dir: \(workspace.file("reports"))}

                    """)
            }
            let environment = ["TEST_S3_KEY": "fixture", "TEST_S3_SECRET": "fixture-secret"]

            let latest = try await DrillCLI.run(["run", try drill("latest", rows: fixture.physical.marks.last!.rows)], workspace: workspace, environment: environment)
            #expect(latest.exitCode == 0, "\(latest.allOutput)")

            let mark = fixture.physical.marks[0]
            let timed = try await DrillCLI.run(
                ["run", try drill("{time: '\(TimestampText.iso(mark.time))'}", rows: mark.rows)], workspace: workspace, environment: environment)
            #expect(timed.exitCode == 0, "\(timed.allOutput)")
            let report = try DrillCLI.report(in: workspace.file("reports"))
            #expect((report["backup"] as? [String: Any])?["format"] as? String == "barman_cloud")
            let writes = MotoRecording.requests(recording).dropFirst(before).filter { !["GET", "HEAD"].contains($0.method) }
            #expect(writes.isEmpty, "the drill wrote to the bucket: \(writes.map { "\($0.method) \($0.path)" })")
            #expect(!latest.allOutput.contains("fixture-secret") && !timed.allOutput.contains("fixture-secret"))
            #expect(workspace.leftoversInTmp().isEmpty && workspace.leftoverServerProcesses().isEmpty)
        }
    }
}
