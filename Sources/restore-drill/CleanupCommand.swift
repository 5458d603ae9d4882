import ArgumentParser
import Drill
import DrillSupport
import Foundation
import Provisioning

struct Cleanup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove what crashed or killed drills left behind: their temp folders and processes, and their containers.",
        discussion: """
            A drill folder (restore-drill-* in $TMPDIR or /tmp) is a dead drill's when no process holds its lock file; \
            a --keep server's keeper holds it, so kept servers stay unless --all is given. Containers are found by \
            their io.restore-drill label and the pid of the drill that started them.
            """)

    @Option(name: .long, help: "docker or podman (repeatable); default: both, where installed.") var runtime: [String] = []
    @Option(name: .customLong("runtime-arg"), help: "An argument before each command (e.g. --runtime-arg=--runtime --runtime-arg=runc).")
    var runtimeArguments: [String] = []
    @Flag(name: .long, help: "Also remove containers whose drill is still running (--keep servers included).") var all = false
    @Flag(name: .customLong("dry-run"), help: "Only list what would be removed.") var dryRun = false

    func run() async throws {
        var lines: [String] = []
        var problems = 0
        let folders = LeftoverSweep.find()
        for leftover in folders {
            let what = "folder \(leftover.path)\(leftover.processes.isEmpty ? "" : " (\(leftover.processes.count) process(es) still running)")"
            if leftover.inUse && !all {
                lines.append("kept     \(what): its drill or --keep server is alive; --all removes it")
            } else if dryRun {
                lines.append("would remove \(what)")
            } else if let problem = await LeftoverSweep.remove(leftover) {
                problems += 1
                lines.append("FAILED   \(what): \(problem)")
            } else {
                lines.append("removed  \(what)")
            }
        }
        lines.append("restore-drill: \(folders.count) drill folder(s) found")
        let runtimes = (runtime.isEmpty ? ["docker", "podman"] : runtime).map { ContainerOptions(runtime: $0, runtimeArguments: runtimeArguments) }
        let found = await ContainerCleanup.find(runtimes: runtimes)
        for leftover in found {
            let keep = leftover.ownerAlive && !all
            let description = "\(leftover.runtime) \(leftover.name) (drill \(leftover.drill.isEmpty ? "?" : leftover.drill), created \(leftover.created), \(leftover.state))"
            if keep {
                lines.append("kept     \(description): its drill (pid \(leftover.ownerPID ?? 0)) still runs; --all removes it")
            } else if dryRun {
                lines.append("would remove \(description)")
            } else if let problem = await ContainerCleanup.remove(leftover, options: runtimes.first { $0.runtime == leftover.runtime }!) {
                problems += 1
                lines.append("FAILED   \(description): \(problem)")
            } else {
                lines.append("removed  \(description)")
            }
        }
        lines.append("restore-drill: \(found.count) drill container(s) found")
        print(lines.joined(separator: "\n"))
        if problems > 0 { throw ExitCode(DrillExitCode.harness.rawValue) }
    }
}
