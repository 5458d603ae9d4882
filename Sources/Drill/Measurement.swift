import DrillSupport
import Foundation
import Recovery
import Reports

/// RTO and RPO compared with the drill file's targets, each a test case of its own.
enum Measurement {
    static func cases(plan: DrillPlan, recovery: RecoveryOutcome?, rtoSeconds: Double?, checksPassed: Bool, startedAt: Date) -> [ReportCase] {
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
        if let physical = plan.physical {
            cases.append(dataLossCase(target: physical.target, recovery: recovery, rpoTarget: rpoTarget, startedAt: startedAt))
        }
        if let created = plan.backupCreatedAt {
            let age = startedAt.timeIntervalSince(created)
            let within = age <= rpoTarget
            cases.append(
                ReportCase(
                    name: "RPO within target (backup age)", status: within ? .passed : .failed,
                    message: within ? nil : "the backup is \(format(age)) old at drill start; without newer WAL, restoring it loses up to that much data, the target is \(format(rpoTarget))",
                    output: "backup taken \(ISO8601DateFormatter().string(from: created)), age \(format(age)), target \(format(rpoTarget))"))
        } else {
            cases.append(
                ReportCase(
                    name: "RPO within target (backup age)", status: .skipped,
                    message: "the backup's time is unknown (no metadata and no time in the dump header): record it with restore-drill record ARTIFACT"))
        }
        return cases
    }

    /// The data-loss window of a physical recovery: target time (or drill start, for latest) minus the last recovered commit.
    static func dataLossWindow(target: RecoveryTarget, recovery: RecoveryOutcome?, startedAt: Date) -> Double? {
        guard let recovery, recovery.reached, let lastCommit = recovery.lastCommitTime else { return nil }
        switch target.kind {
        case .time(let time): return max(0, time.timeIntervalSince(lastCommit))
        case .latest: return max(0, startedAt.timeIntervalSince(lastCommit))
        case .lsn, .xid, .name, .immediate: return nil
        }
    }

    static func dataLossCase(target: RecoveryTarget, recovery: RecoveryOutcome?, rpoTarget: Double, startedAt: Date) -> ReportCase {
        let name = "RPO within target (data-loss window)"
        guard let window = dataLossWindow(target: target, recovery: recovery, startedAt: startedAt) else {
            let reason: String
            if recovery?.reached != true {
                reason = "not measured: the recovery target was not reached"
            } else if recovery?.lastCommitTime == nil {
                reason = "not measured: no commit was replayed"
            } else {
                reason = "not measured: a \(target.typeName) target has no time to measure the window from"
            }
            return ReportCase(name: name, status: .skipped, message: reason)
        }
        let reference = target.kind == .latest ? "drill start" : "the target"
        let within = window <= rpoTarget
        return ReportCase(
            name: name, status: within ? .passed : .failed,
            message: within ? nil : "the last recovered commit is \(format(window)) before \(reference): that much data is lost; the target is \(format(rpoTarget))",
            output: "last recovered commit \(recovery!.lastCommitTime.map(TimestampText.postgres) ?? "?"), window \(format(window)) before \(reference), target \(format(rpoTarget))")
    }

    static func backupAge(plan: DrillPlan?, startedAt: Date) -> Double? {
        plan?.backupCreatedAt.map { startedAt.timeIntervalSince($0) }
    }

    static func format(_ seconds: Double) -> String { DrillDuration.format(.milliseconds(Int64(seconds * 1000))) }
}
