import DrillSupport
import Foundation
import Reports

/// Assembles the report (and its JUnit properties) from what the drill learned.
enum ReportBuilder {
    static func build(
        state: DrillState, suites: [ReportSuite], status: DrillReport.Status, exitCode: DrillExitCode, startedAt: Date,
        fallbackName: String
    ) -> DrillReport {
        let plan = state.plan
        let finishedAt = Date()
        let backupAge = Measurement.backupAge(plan: plan, startedAt: startedAt)
        let backup = DrillReport.Backup(
            location: plan?.sourceLocation ?? state.file?.backup.location ?? "unknown",
            sha256: state.verification?.actual.sha256 ?? plan?.expectedSHA256,
            size: state.verification?.actual.size.bytes ?? plan?.expectedSize,
            format: plan?.formatName ?? state.file?.backup.format ?? "unknown",
            createdAt: plan?.backupCreatedAt)
        let postgres = DrillReport.Postgres(
            version: state.serverVersion, provisioner: state.file?.postgres.provisioner ?? "pg_ctl", database: plan?.database)
        var rpo = backupAge
        var recovery: DrillReport.Recovery?
        if let physical = plan?.physical {
            rpo = Measurement.dataLossWindow(target: physical.target, recovery: state.recovery, startedAt: startedAt)
            recovery = DrillReport.Recovery(
                target: .init(type: physical.target.typeName, value: physical.target.valueText), reached: state.recovery?.reached ?? false,
                lastCommitTime: state.recovery?.lastCommitTime, endLSN: state.recovery?.endLSN?.description,
                timeline: state.recovery?.timeline, baseBackup: physical.choice.backup.name)
        }
        let measurements = DrillReport.Measurements(rtoSeconds: state.rtoSeconds, rpoSeconds: rpo, backupAgeSeconds: backupAge)
        let targets = DrillReport.Targets(rtoSeconds: state.file?.targets.rto.seconds, rpoSeconds: state.file?.targets.rpo.seconds)
        var properties: [String: String] = [
            "drill.name": state.file?.name ?? fallbackName,
            "drill.status": status.rawValue,
            "drill.exit_code": String(exitCode.rawValue),
            "drill.started_at": ISO8601DateFormatter().string(from: startedAt),
            "backup.location": backup.location,
            "backup.format": backup.format,
            "postgres.provisioner": postgres.provisioner,
        ]
        properties["recovery.target"] = recovery.map { "\($0.target.type) \($0.target.value)" } ?? (plan?.logical != nil ? "end of logical dump" : nil)
        properties["drill.file"] = state.file?.path
        properties["drill.host"] = ProcessInfo.processInfo.hostName
        properties["restore_drill.version"] = DrillRunner.toolVersion
        properties["backup.chosen_because"] = plan?.physical?.choice.reason ?? plan?.logical?.located?.choice?.reason
        properties["backup.sha256"] = backup.sha256
        properties["backup.size"] = backup.size.map(String.init)
        properties["backup.created_at"] = backup.createdAt.map { ISO8601DateFormatter().string(from: $0) }
        properties["recovery.point"] = recovery == nil ? properties["backup.created_at"] : recovery?.lastCommitTime.map { ISO8601DateFormatter().string(from: $0) }
        properties["recovery.reached"] = recovery.map { String($0.reached) }
        properties["recovery.end_lsn"] = recovery?.endLSN
        properties["recovery.timeline"] = recovery?.timeline.map(String.init)
        properties["recovery.base_backup"] = recovery?.baseBackup
        properties["postgres.version"] = postgres.version
        properties["restore.database"] = postgres.database
        properties["rto.measured_seconds"] = measurements.rtoSeconds.map { String(format: "%.3f", $0) }
        properties["rto.target_seconds"] = targets.rtoSeconds.map { String(format: "%.0f", $0) }
        properties["rpo.measured_seconds"] = measurements.rpoSeconds.map { String(format: "%.3f", $0) }
        properties["rpo.target_seconds"] = targets.rpoSeconds.map { String(format: "%.0f", $0) }
        return DrillReport(
            drill: state.file?.name ?? fallbackName, status: status, exitCode: exitCode.rawValue, startedAt: startedAt,
            finishedAt: finishedAt, backup: backup, postgres: postgres, recovery: recovery, measurements: measurements, targets: targets,
            properties: properties, suites: suites)
    }
}
