import DrillSupport
import Foundation
import Reports

/// RTO and RPO compared with the drill file's targets, each a test case of its own.
enum Measurement {
    static func cases(plan: DrillPlan, rtoSeconds: Double?, checksPassed: Bool, startedAt: Date) -> [ReportCase] {
        let rtoTarget = plan.file.targets.rto.seconds
        let rpoTarget = plan.file.targets.rpo.seconds
        var cases: [ReportCase] = []
        if let rtoSeconds {
            let within = rtoSeconds <= rtoTarget
            cases.append(
                ReportCase(
                    name: "RTO within target", status: within ? .passed : .failed,
                    message: within ? nil : "restoring took \(format(rtoSeconds)) from drill start to checks passed; the target is \(format(rtoTarget))",
                    output: "measured \(format(rtoSeconds)), target \(format(rtoTarget))"))
        } else {
            cases.append(
                ReportCase(
                    name: "RTO within target", status: .skipped,
                    message: checksPassed ? "not measured" : "not measured: the restored system did not pass its checks"))
        }
        if let created = plan.backupCreatedAt {
            let age = startedAt.timeIntervalSince(created)
            let within = age <= rpoTarget
            cases.append(
                ReportCase(
                    name: "RPO within target (backup age)", status: within ? .passed : .failed,
                    message: within ? nil : "the newest backup is \(format(age)) old at drill start; restoring it loses up to that much data, the target is \(format(rpoTarget))",
                    output: "backup taken \(ISO8601DateFormatter().string(from: created)), age \(format(age)), target \(format(rpoTarget))"))
        } else {
            cases.append(
                ReportCase(
                    name: "RPO within target (backup age)", status: .skipped,
                    message: "the backup's time is unknown (no metadata and no time in the dump header): record it with restore-drill record ARTIFACT"))
        }
        return cases
    }

    static func backupAge(plan: DrillPlan?, startedAt: Date) -> Double? {
        plan?.backupCreatedAt.map { startedAt.timeIntervalSince($0) }
    }

    static func format(_ seconds: Double) -> String { DrillDuration.format(.milliseconds(Int64(seconds * 1000))) }
}
