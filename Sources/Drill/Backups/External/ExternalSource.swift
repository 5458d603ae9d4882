import DrillSupport
import Foundation
import Provisioning
import Reports

/// No backup to restore: an external server (`provisioner: external`) was restored by its
/// provider, and the drill only reaches, checks and measures it. Not named by `backup.format`.
struct ExternalSource: BackupSource {
    var formats: [String] { [] }

    func plan(_ file: DrillFile, options: DrillOptions) async throws -> DrillPlanner.PlannedBackup {
        try await ExternalPlanning.plan(file, source: self)
    }

    func restore(_ plan: DrillPlan, runner: DrillRunner, recorder: PhaseRecorder, state: inout DrillState) async throws
        -> any ProvisionedServer
    {
        guard case .external(let external) = plan.backup else {
            throw ProvisionError(.startFailed, "an external drill was planned without its server")
        }
        return try await runner.connectExternal(plan, external, recorder: recorder, state: &state)
    }

    func formatName(_ plan: DrillPlan) -> String { "external (restored by its provider)" }

    func summaryLines(_ plan: DrillPlan) -> (backup: [String], restore: [String]) {
        guard case .external(let external) = plan.backup else { return ([], []) }
        return (
            ["  server:    external \(external.connection) (PostgreSQL \(external.serverVersion)), restored by its provider: the drill only checks it"],
            ["  checks in: database \(plan.database)"]
        )
    }

    func backupFolders(_ plan: DrillPlan) -> [String] { [] }

    func checkEnvironment(_ plan: DrillPlan) -> [String: String] { ["DRILL_BACKUP_FORMAT": "external"] }
}
