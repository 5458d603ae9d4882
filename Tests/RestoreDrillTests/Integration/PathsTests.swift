import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// Paths as new users write them: a relative drill path run from another folder, relative
/// locations and `run:`, a `checks/` folder of their own, a binary installed elsewhere.
@Suite("Paths and where packs are found")
struct PathsTests {
    /// The layout docs/checks.md recommends, run from the folder above the drill file.
    @Test func relativePathsWorkFromAnotherFolderAndAUserChecksFolderHidesNoShippedPack() async throws {
        let sample = try await SampleDrill.prepare("paths")
        defer { sample.remove() }
        let workspace = sample.workspace
        // The user's own checks/ folder in the current directory, with a relative run: and a probe
        // of the DRILL_* paths a check sees from its own folder.
        try workspace.write(
            "checks/mine/probe.sh",
            "#!/bin/sh\ncase \"$DRILL_BACKUP_PATH$DRILL_FILE_DIR\" in *./*|[!/]*) echo \"relative: $DRILL_BACKUP_PATH $DRILL_FILE_DIR\"; exit 1;; esac\ntest -r \"$DRILL_BACKUP_PATH\" || { echo \"cannot read $DRILL_BACKUP_PATH\"; exit 1; }\n")
        chmod(workspace.file("checks/mine/probe.sh"), 0o755)
        try workspace.write("checks/mine/probe.yaml", "id: mine.probe\nkind: command\nrun: ./probe.sh\n")
        try workspace.write(
            "drills/drill.yaml",
            """
            name: relative
            targets: {rpo: 100000h, rto: 1h}
            backup: {format: pg_dump, location: ../\((sample.artifact as NSString).lastPathComponent)}
            variables: {note: paths}
            checks: [../checks/mine, postgres-core]
            reports: {dir: ../reports}
            """)

        // No RESTORE_DRILL_HOME: the shipped packs are found from the executable, as installed ones are.
        let run = try await DrillCLI.run(["run", "drills/drill.yaml"], workspace: workspace, environment: ["RESTORE_DRILL_HOME": ""])

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try DrillCLI.report(in: workspace.file("reports"))
        let ids = ((report["checks"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(ids.contains("mine.probe") && ids.contains { $0.hasPrefix("core.") }, "\(ids)")
    }

    @Test func anInstalledBinaryFindsItsPacksAndChecksListSaysWhere() async throws {
        let workspace = try TestWorkspace("install")
        defer { workspace.remove() }
        let prefix = workspace.file("prefix")
        let install = try await DrillCLI.runProgram(
            RepositoryPaths.root + "/scripts/install", [prefix], workspace: workspace, environment: [
                "RESTORE_DRILL_INSTALL_BINARY": RepositoryPaths.executable,
                "RESTORE_DRILL_MANUAL_TOOL": (RepositoryPaths.executable as NSString).deletingLastPathComponent + "/generate-manual",
            ])
        #expect(install.exitCode == 0, "\(install.allOutput)")
        // The user's own checks/ (packs of other names) in the current directory hides nothing.
        try workspace.write("checks/mine/own.yaml", "id: own\nquery: SELECT true\nexpect: true\n")
        let listed = try await DrillCLI.runProgram(prefix + "/bin/restore-drill", ["checks", "list", "postgres-core"], workspace: workspace, environment: ["RESTORE_DRILL_HOME": ""])
        #expect(listed.exitCode == 0, "\(listed.allOutput)")
        #expect(listed.standardOutput.contains("[postgres-core]  \(prefix)/share/restore-drill/checks/postgres-core"), "\(listed.standardOutput)")
        let everything = try await DrillCLI.runProgram(prefix + "/bin/restore-drill", ["checks", "list"], workspace: workspace, environment: ["RESTORE_DRILL_HOME": ""])
        #expect(everything.standardOutput.contains("[supabase]  \(prefix)/share/restore-drill/checks/supabase"), "\(everything.allOutput)")
        // Completions for every subcommand, in the places bash-completion, zsh and fish look.
        for file in ["bash-completion/completions/restore-drill", "zsh/site-functions/_restore-drill", "fish/vendor_completions.d/restore-drill.fish"] {
            let text = (try? String(contentsOfFile: prefix + "/share/" + file, encoding: .utf8)) ?? ""
            for command in ["run", "plan", "record", "history", "objects", "cleanup"] {
                #expect(text.contains(command), "\(file) has no \(command)")
            }
        }
        // The man page, from the same command tree: every subcommand and its options.
        let manual = (try? String(contentsOfFile: prefix + "/share/man/man1/restore-drill.1", encoding: .utf8)) ?? ""
        #expect(manual.contains(".Dt RESTORE-DRILL 1") && manual.contains(".Nm restore-drill"), "\(manual.prefix(300))")
        for command in ["run", "plan", "record", "history", "objects", "evidence", "cleanup"] {
            #expect(manual.contains(".It Em \(command)"), "the man page has no \(command)")
        }
        #expect(manual.contains("Fl -target-time") && manual.contains("Fl -sign-key"), "options are in the man page")
    }
}
