import DrillTestSupport
import Foundation
import Testing

/// `record --restore-point` creates a point and fingerprints the source exactly there; a drill
/// recovering to that point compares the restored tables with it.
@Suite("Fingerprints at restore points")
struct RestorePointFingerprintTests {
    @Test func recoveryToARecordedPointMatchesItsFingerprints() async throws {
        let fixture = try await PhysicalFixture.make(label: "rpfp", batches: 4, recordedPoint: (3, "after-batch-3"))
        defer { fixture.remove() }
        var drill = try PhysicalDrill("rpfp", fixture: fixture)
        defer { drill.remove() }
        drill.target = "{name: after-batch-3}"

        let run = try await drill.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let completeness = try drill.cases(ofSuite: "completeness")
        #expect(completeness.first?["status"] as? String == "passed", "\(completeness)")
        let output = (completeness.first?["output"] as? String) ?? ""
        #expect(output.contains("30 rows equal to the source's at restore point 'after-batch-3'"), "\(output)")
    }

    /// Two points with one name: recovery stops at the first, which the fingerprints of the
    /// second (the one recorded) tell apart. Replay itself reports success.
    @Test func aPointNameUsedTwiceRecoversTheWrongMomentAndIsCaught() async throws {
        let fixture = try await PhysicalFixture.make(label: "rpdup", batches: 4, recordedPoint: (3, "after-batch-2"))
        defer { fixture.remove() }
        var drill = try PhysicalDrill("rpdup", fixture: fixture)
        defer { drill.remove() }
        drill.target = "{name: after-batch-2}"

        let run = try await drill.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let completeness = try drill.cases(ofSuite: "completeness")
        #expect(completeness.first?["status"] as? String == "failed", "\(completeness)")
        let message = (completeness.first?["message"] as? String) ?? ""
        #expect(message.contains("public.drill_events: 20 rows restored, 30 recorded"), "\(message)")
    }
}
