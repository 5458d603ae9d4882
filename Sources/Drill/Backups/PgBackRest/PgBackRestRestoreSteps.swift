import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// `pgbackrest restore` of one backup set into the drill's data directory, run by the server's
/// account inside the sandbox (where the repository is read-only), with `--type=preserve` so it
/// writes no recovery settings of its own (the drill's target and restore_command apply) and
/// `--archive-mode=off`. A repository in S3 is read with the host's network (and the same
/// read-only file systems); the WAL replay needs is then fetched with `pgbackrest archive-get`
/// into the drill's folder, which recovery reads, as the restored server has no network.
struct PgBackRestRestoreSteps: PhysicalRestoreSteps {
    var repository: PgBackRestRepository
    var set: PgBackRestRepository.BackupSet
    /// Timeline history files in an S3 repository's archive, fetched with the WAL.
    var histories: [String] = []

    /// Where WAL fetched from an S3 repository goes, beside the data directory.
    static func walFolder(data: String) -> String { (data as NSString).deletingLastPathComponent + "/pgbackrest-wal" }

    var layoutName: String { "pgBackRest backup set \(set.label) restored as a data directory" }
    var verificationName: String { "pgbackrest restore checked every file against the repository" }
    var verificationSkipped: String { "" }
    var runsInContainers: Bool { false }

    func populate(_ plan: DrillPlan, _ context: PopulateContext, progress: @escaping @Sendable (String) -> Void) async throws
        -> (notes: [String], verified: String?)
    {
        let data = context.dataDirectory, tablespaces = context.tablespaceDirectory
        var contain = context.contain
        if repository.isS3 {
            guard let withNetwork = context.containWithNetwork else {
                throw ProvisionError(.startFailed, "a pgBackRest repository in S3 restores with the pg_ctl provisioner")
            }
            contain = withNetwork
        }
        let lock = (data as NSString).deletingLastPathComponent + "/pgbackrest"
        let user = OSUser.isRoot ? OSUser.lookup(name: plan.file.postgres.osUser) : nil
        try ScratchDirectory.makeDirectory(lock, owner: user)
        var environment = repository.environment(lockPath: lock)
        environment["PGBACKREST_LOG_LEVEL_CONSOLE"] = "info"
        let invocation = ToolInvocation(
            executable: repository.executable,
            arguments: [
                repository.configArgument, "--set=\(set.label)", "--type=preserve", "--archive-mode=off", "--pg1-path=\(data)",
                "--process-max=\(plan.jobs)",
                "--tablespace-map-all=\(tablespaces)", "restore",
            ], environment: environment, workingDirectory: data, displayName: "pgbackrest restore",
            onLine: { line, _ in if line.contains("INFO: restore") { progress(String(line.drop { $0 != "r" }.prefix(120))) } })
        let result = try await ProcessRunner.run(contain(invocation))
        let lines = (result.standardOutput + result.standardError).split(separator: "\n").map(String.init)
        guard result.succeeded else {
            let errors = lines.filter { $0.contains("ERROR") }.suffix(5).joined(separator: "\n")
            throw RestoreError(
                .failure, step: "pgbackrest restore",
                "pgbackrest restore of backup set \(set.label) failed (\(result.terminationDescription)): \(errors.isEmpty ? lines.suffix(5).joined(separator: "\n") : errors)")
        }
        let summary = lines.filter { $0.contains("restore size") || $0.contains("command end") }.map { String($0.drop { $0 != "r" }) }
        var notes = ["\(ByteCount(set.info.size)) of backup set \(set.label) (\(set.type)) from stanza \(repository.stanza) of \(repository.locationDescription) into \(data)"]
        if repository.isS3 {
            let fetched = try await fetchWAL(plan, data: data, lock: lock, user: user, contain: contain, progress: progress)
            notes.append("\(fetched) WAL file(s) fetched with pgbackrest archive-get into \(Self.walFolder(data: data)) for recovery")
        }
        return (notes, summary.isEmpty ? "completed" : summary.joined(separator: "\n"))
    }

    /// The segments replay needs (those the archive holds) and the timeline history files,
    /// four `archive-get`s at a time. Exit 1 is "not in the archive", fine for a history file
    /// that never existed; any other failure is an error.
    private func fetchWAL(
        _ plan: DrillPlan, data: String, lock: String, user: OSUser?, contain: @escaping @Sendable (ToolInvocation) -> ToolInvocation,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> Int {
        guard let physical = plan.physical else { return 0 }
        let folder = Self.walFolder(data: data)
        try ScratchDirectory.makeDirectory(folder, owner: user)
        let names = histories + physical.archivedSegmentsReplayNeeds
        var environment = repository.environment(lockPath: lock)
        environment["PGBACKREST_PG1_PATH"] = data
        let invocations = names.map { name in
            contain(
                ToolInvocation(
                    executable: repository.executable, arguments: [repository.configArgument, "archive-get", name, folder + "/" + name],
                    environment: environment, workingDirectory: data, displayName: "pgbackrest archive-get \(name)", captureLimit: 64 * 1024))
        }
        let counter = ByteCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func launch() {
                let (name, invocation) = (names[next], invocations[next])
                next += 1
                group.addTask {
                    let result = try await ProcessRunner.run(invocation)
                    if result.succeeded {
                        progress("pgbackrest archive-get: \(counter.add(1)) of \(names.count) WAL file(s)")
                    } else if !(result.exitCode == 1 && name.hasSuffix(".history")) {
                        throw RestoreError(
                            .error, step: "pgbackrest archive-get",
                            "pgbackrest archive-get \(name) from \(repository.locationDescription) failed (\(result.terminationDescription)): \(SecretMasker.shared.mask(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)).suffix(400))")
                    }
                }
            }
            while next < names.count && next < 4 { launch() }
            while try await group.next() != nil {
                if next < names.count { launch() }
            }
        }
        return Int(counter.add(0))
    }

    func restoreCommandScript(_ plan: DrillPlan, server: any RecoverableServer) -> String? {
        if repository.isS3 { return RestoreCommandScript.text(archive: Self.walFolder(data: server.dataDirectory)) }
        let quote = { (text: String) in "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let exports = repository.environment(lockPath: server.root + "/pgbackrest").sorted { $0.key < $1.key }
            .map { "export \($0.key)=\(quote($0.value))" }.joined(separator: "\n")
        return """
            #!/bin/sh
            # Written by restore-drill. Usage: wal-fetch.sh %f %p
            # pgbackrest archive-get reads the repository (read-only in the sandbox). Exit 1 only
            # when the segment is absent (PostgreSQL reads that as the end of the archive); any
            # other failure is retried, then exit 200, which aborts recovery instead of ending it.
            \(exports)
            export PGBACKREST_PG1_PATH="$PWD"
            f="$1"; p="$2"
            try=1
            while :; do
                \(quote(repository.executable)) \(quote(repository.configArgument)) archive-get "$f" "$p"
                rc=$?
                [ "$rc" -eq 0 ] && exit 0
                if [ "$rc" -eq 1 ]; then
                    case "$f" in
                        *.history) ;;
                        *) echo "restore-drill: WAL file $f is not in the pgBackRest archive" >&2 ;;
                    esac
                    exit 1
                fi
                if [ "$try" -ge 3 ]; then
                    echo "restore-drill: pgbackrest archive-get $f failed with exit code $rc after $try tries; aborting recovery" >&2
                    exit 200
                fi
                try=$((try + 1)); sleep 1
            done

            """
    }
}
