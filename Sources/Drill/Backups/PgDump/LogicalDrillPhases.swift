import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Reports
import Restore

extension DrillRunner {
    /// provision (initdb) then restore (pg_restore or psql).
    func restoreLogical(_ plan: DrillPlan, _ logical: LogicalBackupPlan, recorder: PhaseRecorder, state: inout DrillState) async throws
        -> any ProvisionedServer
    {
        let server = try await recorder.phase("provision") { suite in
            var provisioner = self.provisioner
            if var options = plan.file.postgres.container {
                options.drillName = plan.file.name
                provisioner = ContainerProvisioner(options: options)
            }
            var request = ProvisionRequest(
                majorVersion: plan.majorVersion,
                binDirectory: plan.file.postgres.container == nil ? plan.serverBinaries.directory : plan.file.postgres.binDirectory,
                settings: plan.file.postgres.settings,
                serverUser: plan.file.postgres.osUser, listenOnLoopback: plan.file.postgres.listenOnLoopback, readOnlyPaths: [plan.artifactPath])
            request.preload = plan.file.postgres.preload
            request.restoreDatabase = plan.database
            let server = try await provisioner.provision(request)
            state.acquire(server)
            let version = (try? await serverVersion(server.connection)) ?? server.binaries.version
            state.serverVersion = version
            suite.cases.append(
                ReportCase(name: "throwaway PostgreSQL started", status: .passed, output: "PostgreSQL \(version) via \(server.provisionerKind), \(server.connection)"))
            return server
        }
        var method = LogicalRestore(
            artifactPath: plan.artifactPath, inspection: logical.inspection, database: plan.database, jobs: plan.jobs,
            dropOwnership: plan.file.restore.dropOwnership)
        method.rolesFile = logical.rolesFile
        method.platformFile = logical.platformFile
        method.dataFile = logical.dataFile
        method.namedDatabase = plan.file.backup.database
        try await recorder.phase("restore") { suite in
            let start = ContinuousClock.now
            do {
                let outcome = try await method.restore(into: server) { progress.detail($0) }
                state.restored = outcome
                // Said, not hidden: what in the backup ran during the restore ran with superuser rights.
                let containment = server.sandbox.map { "inside \($0)" } ?? "with the quarantine settings as the only containment (\(server.containmentGap ?? "no sandbox"))"
                let superuser =
                    "the restore ran as the drill's superuser \(server.connection.user): code in the backup that runs during a restore (CHECK constraints, index expressions, defaults, event triggers) ran with superuser rights, \(containment)"
                suite.cases.append(
                    ReportCase(
                        name: "\(method.toolName) restored the backup into \(outcome.database)", status: .passed,
                        seconds: (ContinuousClock.now - start).seconds, output: (outcome.details + [superuser]).joined(separator: "\n")))
            } catch var error as RestoreError {
                if error.kind == .error { error.detail += "\n--- server log ---\n" + server.recentLog(lines: 20) }
                throw error
            }
        }
        return server
    }

    func serverVersion(_ connection: ConnectionParameters) async throws -> String {
        let session = try await PostgresConnection.connect(connection)
        defer { session.close() }
        return try await session.serverVersion()
    }
}
