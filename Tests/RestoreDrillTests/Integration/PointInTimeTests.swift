import DrillTestSupport
import Foundation
import Testing

/// One fixture for the suite: a base backup, then six batches of ten rows with a mark after each.
actor SharedPITRFixture {
    static let shared = SharedPITRFixture()
    private var fixture: Task<PhysicalFixture, any Error>?

    func get() async throws -> PhysicalFixture {
        if fixture == nil { fixture = Task { try await PhysicalFixture.make(label: "shared") } }
        return try await fixture!.value
    }
}

@Suite("Point-in-time recovery of physical backups", .serialized)
struct PointInTimeTests {
    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    @Test func aTimeInTheMiddleGivesExactlyTheRowsBeforeIt() async throws {
        let fixture = try await SharedPITRFixture.shared.get()
        let mark = fixture.marks[2]
        var drill = try PhysicalDrill("pitr-time", fixture: fixture)
        defer { drill.remove() }
        drill.target = "{time: '\(Self.iso(mark.time))'}"
        drill.expectedRows = mark.rows

        let run = try await drill.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try drill.report()
        let recovery = try #require(report["recovery"] as? [String: Any])
        #expect(recovery["reached"] as? Bool == true)
        #expect((recovery["target"] as? [String: Any])?["type"] as? String == "time")
        let rpo = try #require((report["measurements"] as? [String: Any])?["rpo_seconds"] as? Double)
        let truth = mark.time.timeIntervalSince(mark.commitTime)
        #expect(abs(rpo - truth) < 1.0, "RPO \(rpo)s, truth \(truth)s")
        #expect(drill.workspace.leftoversInTmp().isEmpty)
        #expect(drill.workspace.leftoverServerProcesses().isEmpty)
    }
}
