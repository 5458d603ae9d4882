import DrillSupport
import Foundation
import PostgresClient
import Provisioning
import Recovery
import Reports
import Restore

/// How a physical source lays its backup out as a data directory and where recovery reads WAL:
/// the steps that differ between pg_basebackup output and a backup tool's repository.
protocol PhysicalRestoreSteps: Sendable {
    /// The restore case's name ("base backup base1 laid out as a data directory").
    var layoutName: String { get }
    /// The verification case's name, and why it was skipped when `populate` returned no summary.
    var verificationName: String { get }
    var verificationSkipped: String { get }
    /// Whether the container provisioner can run these steps.
    var runsInContainers: Bool { get }
    /// Lays the backup out in `data` (tablespaces under `tablespaces`) with commands wrapped by
    /// `contain` (the server's account, in the sandbox); returns notes and the verification's summary.
    func populate(_ plan: DrillPlan, _ context: PopulateContext, progress: @escaping @Sendable (String) -> Void) async throws
        -> (notes: [String], verified: String?)
    /// The restore_command script recovery runs (`%f %p`); nil: the drill's own, reading the archive folder.
    func restoreCommandScript(_ plan: DrillPlan, server: any RecoverableServer) -> String?
}

/// A source whose plans are physical: restored the one way a data directory is, with its steps.
protocol PhysicalBackupSource: BackupSource {}

extension PhysicalBackupSource {
    var recoversToTarget: Bool { true }

    func restore(_ plan: DrillPlan, runner: DrillRunner, recorder: PhaseRecorder, state: inout DrillState) async throws
        -> any ProvisionedServer
    {
        guard let physical = plan.physical else {
            throw ProvisionError(.startFailed, "format: \(plan.file.backup.format) was planned without a physical plan")
        }
        return try await runner.restorePhysical(plan, physical, recorder: recorder, state: &state)
    }
}

/// pg_basebackup output: extracted (tar or plain) by the server's account, checked with pg_verifybackup.
struct BaseBackupRestoreSteps: PhysicalRestoreSteps {
    var backup: BaseBackup
    var layoutName: String { "base backup \(backup.name) laid out as a data directory" }
    var verificationName: String { "pg_verifybackup" }
    var verificationSkipped: String { "the base backup has no backup_manifest" }
    var runsInContainers: Bool { true }

    func populate(_ plan: DrillPlan, _ context: PopulateContext, progress: @escaping @Sendable (String) -> Void) async throws
        -> (notes: [String], verified: String?)
    {
        let (data, tablespaces, contain) = (context.dataDirectory, context.tablespaceDirectory, context.contain)
        let notes = try await BaseBackupExtractor.extract(backup, into: data, tablespaceRoot: tablespaces, contain: contain, progress: progress)
        let verified = try await BaseBackupExtractor.verify(backup, data: data, binaries: plan.serverBinaries, contain: contain)
        try BaseBackupExtractor.rewriteTablespaceMap(data: data, tablespaceRoot: tablespaces)
        return (["\(ByteCount(backup.size)) from \(backup.directory) into \(data)"] + notes, backup.manifestPath == nil ? nil : verified)
    }

    func restoreCommandScript(_ plan: DrillPlan, server: any RecoverableServer) -> String? { nil }
}

extension DrillRunner {
    /// restore (lay the backup out as a data directory and verify it) then recover (replay WAL to the target).
    func restorePhysical(_ plan: DrillPlan, _ physical: PhysicalBackupPlan, recorder: PhaseRecorder, state: inout DrillState)
        async throws -> any ProvisionedServer
    {
        let steps = physical.steps
        let server = try await recorder.phase("restore") { suite in
            let start = ContinuousClock.now
            let verified = VerifyNote()
            let request = ProvisionRequest(
                majorVersion: plan.majorVersion, binDirectory: plan.serverBinaries.directory, settings: plan.file.postgres.settings,
                serverUser: plan.file.postgres.osUser, listenOnLoopback: plan.file.postgres.listenOnLoopback)
            let superusers = plan.file.recovery.superuser.map { [$0] } ?? RecoveryMonitor.superuserCandidates
            let populate: (PopulateContext) async throws -> [String] = { context in
                let (notes, summary) = try await steps.populate(plan, context) { progress.detail($0) }
                verified.text = summary
                return notes
            }
            let server: any RecoverableServer
            let notes: [String]
            if var options = plan.file.postgres.container {
                guard steps.runsInContainers else {
                    throw ProvisionError(.startFailed, "format: \(plan.file.backup.format) restores with the pg_ctl provisioner; the docker provisioner cannot run its tool yet")
                }
                options.drillName = plan.file.name
                (server, notes) = try await ContainerProvisioner(options: options).provisionFromBackup(
                    request, superusers: superusers, allowedPreloads: plan.file.recovery.allowPreload, archive: physical.archive.directory,
                    populate: populate)
            } else if let pgCtl = provisioner as? PgCtlProvisioner {
                (server, notes) = try await pgCtl.provisionFromBackup(
                    request, superusers: superusers, allowedPreloads: plan.file.recovery.allowPreload, populate: populate)
            } else {
                throw ProvisionError(.startFailed, "physical restores need the pg_ctl or docker provisioner")
            }
            state.acquire(server)
            suite.cases.append(
                ReportCase(
                    name: steps.layoutName, status: .passed, seconds: (ContinuousClock.now - start).seconds, output: notes.joined(separator: "\n")))
            suite.cases.append(
                ReportCase(
                    name: steps.verificationName, status: verified.text == nil ? .skipped : .passed,
                    message: verified.text == nil ? steps.verificationSkipped : nil, output: verified.text ?? ""))
            return server
        }
        try await recorder.phase("recover") { suite in
            let outcome = try await RecoveryMonitor.recover(
                server: server, target: physical.target, archive: physical.archive, preflight: physical.preflight,
                restoreScript: steps.restoreCommandScript(plan, server: server), timeout: plan.file.recovery.timeout,
                superusers: plan.file.recovery.superuser.map { [$0] } ?? RecoveryMonitor.superuserCandidates,
                findSuperuser: plan.file.recovery.superuser == nil
            ) { progress.detail($0) }
            state.recovery = outcome
            state.serverVersion = (try? await serverVersion(server.connection)) ?? server.binaries.version
            let details = [
                outcome.stoppingLine.map { "server: \($0)" }, outcome.lastCommitTime.map { "last replayed commit: \(TimestampText.postgres($0))" },
                outcome.endLSN.map { "end LSN: \($0)" }, outcome.timeline.map { "timeline: \($0)" },
                outcome.foundSuperuser.map {
                    "superuser: \($0) (the copy has none of \(RecoveryMonitor.superuserCandidates.joined(separator: ", ")); read from pg_authid with postgres --single)"
                },
                "replay took \(DrillDuration.format(outcome.duration))",
            ].compactMap { $0 }.joined(separator: "\n")
            suite.cases.append(
                ReportCase(
                    name: "recovery reached \(physical.target)", status: outcome.reached ? .passed : .failed,
                    seconds: outcome.duration.seconds, message: outcome.cause,
                    detail: outcome.reached ? nil : (outcome.cause ?? "") + "\n--- server log ---\n" + server.recentLog(lines: 25),
                    output: details))
        }
        return server
    }
}

extension PhysicalBackupPlan {
    /// Names of the segments replay needs (the preflight's range) that the archive holds, in order:
    /// what a source that fetches WAL before recovery fetches.
    var archivedSegmentsReplayNeeds: [String] {
        guard preflight.last.number >= preflight.first.number else { return [] }
        return (preflight.first.number...preflight.last.number)
            .map { WALSegmentName(timeline: preflight.first.timeline, number: $0, segmentSize: preflight.first.segmentSize) }
            .filter { archive.segments[$0] != nil }.map(\.description)
    }
}

/// Carries pg_verifybackup's summary out of the provisioning closure.
final class VerifyNote: @unchecked Sendable {
    // Written once inside the populate step, read after it returned.
    var text: String?
}

/// The verify phase's WAL cases: every segment replay needs is in the archive, or which are not,
/// and the server's account can read them.
enum WALContinuity {
    static func recordsCase(_ physical: PhysicalBackupPlan, binaries: ServerBinaries, osUser: String) async throws -> ReportCase {
        let name = "WAL records replay needs are intact (pg_waldump)"
        let start = ContinuousClock.now
        let user = OSUser.isRoot ? OSUser.lookup(name: osUser) : nil
        switch try await WALRecordCheck.check(preflight: physical.preflight, archive: physical.archive, binaries: binaries, user: user) {
        case .intact(let end):
            return ReportCase(name: name, status: .passed, seconds: (ContinuousClock.now - start).seconds, output: "written WAL ends at \(end)")
        case .damaged(let segment, let lsn, let reason):
            return ReportCase(
                name: name, status: .failed, seconds: (ContinuousClock.now - start).seconds,
                message: "WAL segment \(segment) in \(physical.archiveLocation) is damaged at LSN \(lsn) (\(reason)): replay would stop there and promote a copy without what follows. Nothing was restored.")
        case .skipped(let reason):
            return ReportCase(name: name, status: .skipped, message: reason)
        }
    }

    static func accessCase(_ physical: PhysicalBackupPlan, osUser: String) async throws -> ReportCase {
        let user = OSUser.isRoot ? OSUser.lookup(name: osUser) : nil
        let account = user?.name ?? OSUser.current.name
        let name = "the server's OS account can read the WAL archive"
        let unreadable = try await WALArchiveAccess.unreadable(preflight: physical.preflight, archive: physical.archive, user: user)
        guard let first = unreadable.first else { return ReportCase(name: name, status: .passed, output: "read by OS user \(account)") }
        return ReportCase(
            name: name, status: .error,
            message: "OS user \(account), which runs the server and its restore_command, cannot read \(first)\(unreadable.count > 1 ? " and \(unreadable.count - 1) more WAL file(s)" : ""). Grant it read access (e.g. chgrp -R \(account) \(physical.archive.directory) && chmod -R g+rX \(physical.archive.directory)) or set postgres.os_user.",
            output: unreadable.joined(separator: "\n"))
    }

    static func reportCase(_ physical: PhysicalBackupPlan) -> ReportCase {
        let preflight = physical.preflight
        let name = "WAL archive holds every segment replay needs"
        let range = "\(preflight.first) … \(preflight.last)"
        guard let gap = preflight.missing.first else {
            return ReportCase(
                name: name, status: .passed,
                output: "\(preflight.segmentCount) segment(s) \(range), \(ByteCount(preflight.bytesToFetch)) in \(physical.archiveLocation)")
        }
        let more = preflight.missing.count > 1 ? " (and \(preflight.missing.count - 1) more: \(preflight.missing.dropFirst().prefix(4).map(\.description).joined(separator: ", ")))" : ""
        let message = "WAL segment \(gap) is missing from \(physical.archiveLocation)\(more): recovery cannot pass LSN \(gap.startLSN). Check the archiver on the primary or choose an earlier target."
        switch physical.target.kind {
        case .lsn, .immediate, .latest:
            return ReportCase(name: name, status: .failed, message: message, output: range)
        case .time, .xid, .name:
            // Where a time, xid or restore point lies in WAL is only known by replaying it.
            return ReportCase(
                name: name, status: .skipped,
                message: "the archive has a gap at \(gap); replay will tell whether \(physical.target) lies before it", output: range)
        }
    }
}
