import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// Every run recorded, and `restore-drill history` showing runs and their trend.
@Suite("Drill history", .serialized)
struct HistoryTests {
    @Test func threeRunsShowTheirHistoryAndTrendInEveryFormat() async throws {
        let sample = try await SampleDrill.prepare("history")
        defer { sample.remove() }
        for _ in 0..<3 {
            let run = try await sample.run()
            #expect(run.exitCode == 0, "\(run.allOutput)")
        }
        let folder = sample.reports + "/history"
        let records = try FileManager.default.contentsOfDirectory(atPath: folder + "/test-drill")
        #expect(records.count == 3, "\(records)")

        let table = try await DrillCLI.run(["history", "--dir", folder], workspace: sample.workspace)
        #expect(table.exitCode == 0, "\(table.allOutput)")
        #expect(table.standardOutput.contains("test-drill: 3 run(s)"), "\(table.standardOutput)")
        #expect(table.standardOutput.contains("trend: 3/3 passed; RTO median"), "\(table.standardOutput)")
        #expect(table.standardOutput.split(separator: "\n").filter { $0.contains("  passed  ") }.count == 3, "\(table.standardOutput)")

        let json = try await DrillCLI.run(["history", "test-drill", "--dir", folder, "--format", "json"], workspace: sample.workspace)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]]
        let trend = parsed?.first?["trend"] as? [String: Any]
        #expect((parsed?.first?["runs"] as? [Any])?.count == 3 && trend?["runs"] as? Int == 3, "\(json.standardOutput)")
        #expect((trend?["median_rto_seconds"] as? Double ?? 0) > 0, "\(json.standardOutput)")

        let csv = try await DrillCLI.run(["history", "--dir", folder, "--format", "csv", "--since", "1h"], workspace: sample.workspace)
        let lines = csv.standardOutput.split(separator: "\n")
        #expect(lines.count == 4 && lines[0].hasPrefix("drill,run_id,started_at,status,rto_seconds"), "\(csv.standardOutput)")

        let none = try await DrillCLI.run(["history", "other-drill", "--dir", folder], workspace: sample.workspace)
        #expect(none.standardError.contains("no runs recorded in \(folder) for other-drill"), "\(none.allOutput)")
    }
}
