import DrillSupport
import Foundation
import Provisioning
import Reports
import Restore

extension DrillRunner {
    /// fetch: the chosen artifact from its store (or an encrypted local file) into a private
    /// folder of the drill's, hashed and decrypted on the way, after a free-space preflight.
    /// The plan then points at the fetched copy; the report keeps the store's URL.
    func fetchArtifact(_ plan: inout DrillPlan, recorder: PhaseRecorder, state: inout DrillState) async throws -> ArtifactFetch.Outcome? {
        guard let located = plan.logical?.located, located.needsFetch else { return nil }
        let encryption = plan.file.backup.encryption
        let outcome = try await recorder.phase("fetch") { suite in
            let user = OSUser.isRoot ? OSUser.lookup(name: plan.file.postgres.osUser) : nil
            let folder = try ScratchDirectory.create(root: nil, owner: user)
            state.teardown.push("fetched backup") {
                await ArtifactDecryption.stopAgents(in: folder)
                return ScratchDirectory.remove(folder).map { [$0] } ?? []
            }
            if let space = try ArtifactFetch.spaceCase(needed: located.bytesToFetch, folder: folder, fetching: located.url) { suite.cases.append(space) }
            let start = ContinuousClock.now
            let total = located.artifact.size
            let outcome: ArtifactFetch.Outcome
            if located.artifact.members.isEmpty {
                outcome = try await BackupLocating.readable(located.url, .object) {
                    try await ArtifactFetch.fetch(located.artifact, from: located.store, into: folder, decryption: encryption, user: user) { done in
                        progress.detail("fetch: \(ByteCount(done)) of \(ByteCount(total))")
                    }
                }
            } else {
                // A directory-format dump: its files into one folder, then measured as `record DIR` measures a folder.
                let root = folder + "/" + located.artifact.name
                let items = try Self.items(located.artifact.members, keyPrefix: located.artifact.reference + "/", store: located.store, into: root)
                try ScratchDirectory.makeDirectory(root, owner: user)
                try await Self.fetchAll(items, below: folder, user: user) { done in progress.detail("fetch: \(ByteCount(done)) of \(ByteCount(total))") }
                outcome = ArtifactFetch.Outcome(path: root, stored: try await ContentDigest.of(path: root), decryption: nil)
            }
            let seconds = (ContinuousClock.now - start).seconds
            let rate = seconds > 0 ? " (\(ByteCount(Int64(Double(outcome.stored.size.bytes) / seconds)))/s)" : ""
            suite.cases.append(
                ReportCase(
                    name: "backup fetched", status: .passed, seconds: seconds,
                    output: "\(ByteCount(outcome.stored.size.bytes))\(located.artifact.members.isEmpty ? "" : " in \(located.artifact.members.count) files") from \(located.url)\(rate), hashed\(encryption.map { " and decrypted with \($0.tool.rawValue)" } ?? "") on the way, into \(folder)"))
            return outcome
        }
        plan.artifactPath = outcome.path
        return outcome
    }

    /// The verify phase's case for decryption: the key fits and the bytes authenticate, or which not.
    static func decryptionCase(_ outcome: ArtifactFetch.Outcome, plan: DrillPlan, storedMatches: Bool) -> ReportCase? {
        guard let decryption = outcome.decryption, let encryption = plan.file.backup.encryption else { return nil }
        let name = "artifact decrypts with \(encryption.tool.rawValue)"
        guard storedMatches else {
            return ReportCase(name: name, status: .skipped, message: "not judged: the stored bytes are not the recorded ones (see the checksum case)")
        }
        switch decryption {
        case .decrypted(let summary):
            return ReportCase(name: name, status: .passed, output: "\(summary), with \(encryption.keyReference)")
        case .wrongKey(let message):
            return ReportCase(
                name: name, status: .error,
                message: "\(encryption.keyReference) does not decrypt \(plan.sourceLocation): \(message). The backup was not judged: give the key the backup was encrypted to.")
        case .damaged(let message):
            return ReportCase(
                name: name, status: .failed,
                message: "\(plan.sourceLocation) does not decrypt with \(encryption.keyReference): \(message). The encrypted artifact is damaged or incomplete. Nothing was restored.")
        }
    }
}
