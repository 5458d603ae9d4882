import DrillSupport
import Foundation
import Provisioning
import Recovery
import Restore

/// `pgbackrest restore` of one backup set into the drill's data directory, run by the server's
/// account inside the sandbox (where the repository is read-only), with `--type=preserve` so it
/// writes no recovery settings of its own (the drill's target and restore_command apply) and
/// `--archive-mode=off`.
struct PgBackRestRestoreSteps: PhysicalRestoreSteps {
    var repository: PgBackRestRepository
    var set: PgBackRestRepository.BackupSet

    var layoutName: String { "pgBackRest backup set \(set.label) restored as a data directory" }
    var verificationName: String { "pgbackrest restore checked every file against the repository" }
    var verificationSkipped: String { "" }
    var runsInContainers: Bool { false }

    func populate(_ plan: DrillPlan, _ context: PopulateContext, progress: @escaping @Sendable (String) -> Void) async throws
        -> (notes: [String], verified: String?)
    {
        let (data, tablespaces, contain) = (context.dataDirectory, context.tablespaceDirectory, context.contain)
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
        return (
            ["\(ByteCount(set.info.size)) of backup set \(set.label) (\(set.type)) from stanza \(repository.stanza) into \(data)"],
            summary.isEmpty ? "completed" : summary.joined(separator: "\n")
        )
    }

    func restoreCommandScript(_ plan: DrillPlan, server: any RecoverableServer) -> String? {
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
