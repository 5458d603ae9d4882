import Foundation
import Reports
import Testing

@Suite("History trend")
struct HistoryTrendTests {
    static func runs(_ rtos: [Double], target: Double = 900) -> [DrillHistory.Entry] {
        rtos.enumerated().map { index, rto in
            DrillHistory.Entry(
                runID: "r\(index)", drill: "d", status: "passed", startedAt: Date(timeIntervalSince1970: Double(index) * 86_400), rtoSeconds: rto,
                rpoSeconds: 3600, rtoTargetSeconds: target, rpoTargetSeconds: 86_400, host: "h", toolVersion: "0.1.0")
        }
    }

    @Test func medianP90AndLastAreOfTheRecordedRuns() {
        let trend = DrillHistory.trend(Self.runs([100, 120, 110, 130, 90, 105, 115, 125, 95, 140]))
        #expect(trend.medianRTO == 110 && trend.p90RTO == 130 && trend.lastRTO == 140 && trend.runs == 10 && trend.warning == nil)
    }

    @Test func anRTOCreepingTowardsItsTargetIsFlagged() {
        #expect(DrillHistory.trend(Self.runs([300, 320, 760])).warning?.hasPrefix("the last RTO (12m40s) used 84% of its target (15m00s)") == true)
        let rising = DrillHistory.trend(Self.runs([100, 100, 100, 100, 110, 125, 150]))
        #expect(rising.warning == "the RTO grew three runs in a row, to 2m30s against a median of 1m40s", "\(String(describing: rising.warning))")
        #expect(DrillHistory.trend(Self.runs([100, 150, 120])).warning == nil)
    }
}
