import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// barman-cloud-restore of one backup into the drill's data directory, then
/// barman-cloud-wal-restore of every WAL segment (and timeline history) replay needs into the
/// drill's folder, both as the server's account with the sandbox's read-only file systems and
/// the host's network (Barman's tools download; what they extract can land only in the drill's
/// folder). Recovery then reads that folder with the drill's own restore_command.
struct BarmanCloudRestoreSteps: PhysicalRestoreSteps {
    var catalog: BarmanCloudCatalog
    var backupID: String
    /// Timeline history files in the archive (`00000002.history`), fetched too.
    var histories: [String]

    var layoutName: String { "Barman cloud backup \(backupID) restored as a data directory" }
    var verificationName: String { "barman cloud backup verified" }
    var verificationSkipped: String {
        "Barman cloud backups record no checksums of their files to verify against, and carry no backup_manifest for pg_verifybackup: recovery and the checks are the proof"
    }
    var runsInContainers: Bool { false }

    /// Where the fetched WAL goes, beside the data directory.
    static func walFolder(data: String) -> String { (data as NSString).deletingLastPathComponent + "/barman-wal" }

    func populate(_ plan: DrillPlan, _ context: PopulateContext, progress: @escaping @Sendable (String) -> Void) async throws
        -> (notes: [String], verified: String?)
    {
        guard let wrap = context.containWithNetwork, let physical = plan.physical else {
            throw ProvisionError(.startFailed, "format: barman_cloud restores with the pg_ctl provisioner")
        }
        let user = OSUser.isRoot ? OSUser.lookup(name: plan.file.postgres.osUser) : nil
        progress("barman-cloud-restore \(backupID)")
        let restored = try await catalog.run(
            "barman-cloud-restore", catalog.commonArguments + [backupID, context.dataDirectory], user: user) { wrap($0) }
        guard restored.succeeded else {
            throw RestoreError(
                .failure, step: "barman-cloud-restore",
                "barman-cloud-restore of \(backupID) failed (\(restored.terminationDescription)): \(SecretMasker.shared.mask(restored.standardError.trimmingCharacters(in: .whitespacesAndNewlines)).suffix(600))")
        }
        let folder = Self.walFolder(data: context.dataDirectory)
        try ScratchDirectory.makeDirectory(folder, owner: user)
        let wanted = histories + physical.archivedSegmentsReplayNeeds
        var fetched = 0
        for name in wanted {
            try Task.checkCancellation()
            progress("barman-cloud-wal-restore \(name) (\(fetched + 1) of \(wanted.count))")
            let result = try await catalog.run("barman-cloud-wal-restore", catalog.commonArguments + [name, folder + "/" + name], user: user) { wrap($0) }
            // Exit 1: not in the archive (a history file that never existed); the listing said which segments are.
            if result.succeeded { fetched += 1 } else if !name.hasSuffix(".history") {
                throw RestoreError(
                    .error, step: "barman-cloud-wal-restore",
                    "barman-cloud-wal-restore \(name) failed (\(result.terminationDescription)): \(SecretMasker.shared.mask(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)).suffix(400))")
            }
        }
        return (
            [
                "backup \(backupID) of server \(catalog.server) from \(catalog.url) into \(context.dataDirectory)",
                "\(fetched) WAL file(s) fetched into \(folder) for recovery",
            ], nil
        )
    }

    func restoreCommandScript(_ plan: DrillPlan, server: any RecoverableServer) -> String? {
        RestoreCommandScript.text(archive: Self.walFolder(data: server.dataDirectory))
    }
}
