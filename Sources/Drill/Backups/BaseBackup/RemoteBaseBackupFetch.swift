import DrillSupport
import Foundation
import Objects
import Provisioning
import Reports
import Restore

/// One object to copy and the folder it goes to.
struct FetchItem: Sendable {
    var artifact: StoredArtifact
    var store: any BackupLocation
    var folder: String
}

extension DrillRunner {
    /// fetch, for a base backup or WAL archive in a bucket: the chosen backup's objects and the
    /// archive's segments from the backup's start on (with the timeline history and backup
    /// history files) into a private folder, after a free-space preflight. The drill is then
    /// planned again from those local copies, so every later phase reads files as it does for
    /// a local backup; the report keeps the bucket's URLs.
    func fetchRemoteBaseBackup(_ plan: inout DrillPlan, recorder: PhaseRecorder, state: inout DrillState) async throws {
        guard let physical = plan.physical, let remote = physical.remote else { return }
        let chosen = physical.choice.backup
        let user = OSUser.isRoot ? OSUser.lookup(name: plan.file.postgres.osUser) : nil
        let folder = try await recorder.phase("fetch") { suite in
            let folder = try ScratchDirectory.create(root: nil, owner: user)
            state.teardown.push("fetched base backup") { ScratchDirectory.remove(folder).map { [$0] } ?? [] }
            var items: [FetchItem] = []
            if let backupFolder = remote.backupFolder, let parts = remote.backups[chosen.name] {
                items += try Self.items(parts.objects, keyPrefix: parts.keyPrefix, store: backupFolder.store, into: folder + "/backup/" + chosen.name)
            }
            if let archiveFolder = remote.archiveFolder {
                let start = physical.preflight.first
                let wanted = archiveFolder.topLevel.filter { object in
                    let base = WALArchive.stripCompression(object.name)
                    if let segment = WALSegmentName(base) { return segment.timeline >= start.timeline && segment.number >= start.number }
                    return base.hasSuffix(".history") || base.hasSuffix(".backup")
                }
                items += try Self.items(wanted, keyPrefix: archiveFolder.prefix, store: archiveFolder.store, into: folder + "/wal")
                try ScratchDirectory.makeDirectory(folder + "/wal", owner: user)
            }
            let needed = items.reduce(Int64(0)) { $0 + $1.artifact.size }
            if let space = try ArtifactFetch.spaceCase(
                needed: needed, folder: folder, fetching: "base backup \(chosen.name) and its WAL",
                note: "; the restored data directory needs about \(ByteCount(chosen.size)) more")
            {
                suite.cases.append(space)
            }
            let start = ContinuousClock.now
            try await Self.fetchAll(items, below: folder, user: user) { done in progress.detail("fetch: \(ByteCount(done)) of \(ByteCount(needed))") }
            let seconds = (ContinuousClock.now - start).seconds
            let sources = [remote.backupFolder.map { _ in plan.physical?.remoteBackupURL ?? chosen.directory }, remote.archiveFolder?.name].compactMap { $0 }
            suite.cases.append(
                ReportCase(
                    name: "backup fetched", status: .passed, seconds: seconds,
                    output: "\(items.count) file(s), \(ByteCount(needed)) from \(sources.joined(separator: " and ")) into \(folder)"))
            return folder
        }
        var local = plan.file
        if remote.backupFolder != nil { local.backup.location = folder + "/backup/" + chosen.name }
        if remote.archiveFolder != nil { local.backup.walArchive = folder + "/wal" }
        local.backup.select = nil
        let replanned = try await BaseBackupPlanning.plan(local, options: options, source: BaseBackupSource())
        guard case .physical(var fetched) = replanned.plan else { return }
        // The choice was made among the bucket's backups; a target drawn now is added to why.
        let drawn = fetched.choice.reason.range(of: "; target drawn at random").map { String(fetched.choice.reason[$0.lowerBound...]) } ?? ""
        fetched.choice.reason = physical.choice.reason.replacingOccurrences(
            of: "; the target is drawn at random once the WAL archive is fetched (it is read for its last commit)", with: "") + drawn
        fetched.catalog = physical.catalog
        fetched.remote = remote
        plan.backup = .physical(fetched)
        plan.artifactPath = replanned.artifactPath
        if plan.expectedSize == nil { plan.expectedSize = replanned.expectedSize }
        if plan.expectedSHA256 == nil { plan.expectedSHA256 = replanned.expectedSHA256 }
    }

    /// The objects under `keyPrefix` with the local folder each goes to; a key that is not a plain relative path refuses the backup.
    static func items(_ objects: [StoredArtifact], keyPrefix: String, store: any BackupLocation, into root: String) throws -> [FetchItem] {
        try objects.map { object in
            let relative = String(object.reference.dropFirst(keyPrefix.count))
            guard RelativeKey.isSafe(relative) else {
                throw RestoreError(
                    .failure, step: "fetch",
                    "\(store.url(of: object.reference)) is not a plain relative path below \(store.url(of: keyPrefix)): a backup with such a key is refused, nothing was fetched")
            }
            let parent = (relative as NSString).deletingLastPathComponent
            return FetchItem(artifact: object, store: store, folder: parent.isEmpty ? root : root + "/" + parent)
        }
    }

    /// Fetches every item, four at a time, each into its folder (made for the server's account).
    static func fetchAll(_ items: [FetchItem], below root: String, user: OSUser?, progress: @escaping @Sendable (Int64) -> Void) async throws {
        for folder in Set(items.map(\.folder)).sorted() where folder.hasPrefix(root + "/") {
            var path = root
            for component in folder.dropFirst(root.count + 1).split(separator: "/") {
                path += "/" + component
                try ScratchDirectory.makeDirectory(path, owner: user)
            }
        }
        let done = ByteCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func launch() {
                let item = items[next]
                next += 1
                group.addTask {
                    let seen = ByteCounter()
                    _ = try await BackupLocating.readable(item.store.url(of: item.artifact.reference), .object) {
                        try await ArtifactFetch.fetch(item.artifact, from: item.store, into: item.folder, decryption: nil, user: user) { bytes in
                            // The fetch reports its running total; the counters add what is new.
                            let delta = bytes - seen.add(0)
                            _ = seen.add(delta)
                            progress(done.add(delta))
                        }
                    }
                }
            }
            while next < items.count && next < 4 { launch() }
            while try await group.next() != nil {
                if next < items.count { launch() }
            }
        }
    }
}
