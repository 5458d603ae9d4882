import DrillSupport
import DrillTestSupport
import Foundation
import Restore
import Synchronization

/// One prepared fault: the drill file to run, what must stay untouched, and how to interfere.
struct FaultScene: Sendable {
    let workspace: TestWorkspace
    /// The drill file.
    var drillPath = ""
    /// Files and folders checksummed before and after the drill (the backup, the archive).
    var sources: [String] = []
    /// Extra `run` options.
    var options: [String] = []
    /// Variables added to the drill's environment.
    var extraEnvironment: [String: String] = [:]
    /// A signal sent to the drill once a line containing `after` appears (needs --verbose).
    var interrupt: (after: String, signal: Int32)?
    /// Kill the drill's PostgreSQL server (SIGKILL) once a line containing this appears.
    var killServerAfter: String?
    /// Run after the drill (unmount a filesystem...).
    var cleanup: (@Sendable () -> Void)?
    /// Extra invariants checked after the drill: each returned line is a broken one (production
    /// saw a connection, a container is left...).
    var afterRun: (@Sendable () async -> [String])?
    /// Run after `afterRun` (stop the production stand-in).
    var asyncCleanup: (@Sendable () async -> Void)?
    /// For a drill killed with SIGKILL (no report): the `restore-drill cleanup` arguments whose
    /// output is then the entry to check.
    var cleanupArguments: [String] = ["--runtime", "none"]

    /// A secret every case supplies by reference; it must never be printed.
    static let secret = "fault-secret-" + String(UUID().uuidString.prefix(10))
    static var environment: [String: String] {
        // moto does not check signatures here: any key pair works, and the secret doubles as one.
        SampleDrill.passwordEnvironment.merging(["RD_FAULT_SECRET": secret, "RD_FAULT_S3_KEY": "fixture"]) { $1 }
            .merging(ContainerImage.environment) { $1 }
    }

    /// A physical drill of `fixture` with the secret wired in.
    static func physical(_ label: String, fixture: PhysicalFixture, edit: (inout PhysicalDrill) throws -> Void = { _ in }) throws -> FaultScene {
        var drill = try PhysicalDrill(label, fixture: fixture)
        drill.variables = ["fault_secret: env:RD_FAULT_SECRET"]
        try edit(&drill)
        var scene = FaultScene(workspace: drill.workspace)
        scene.drillPath = try drill.workspace.write("drill.yaml", try drill.yaml())
        scene.sources = [drill.catalog, drill.archive]
        return scene
    }

    /// Runs the drill through the built executable, interfering as set up.
    func run() async throws -> DrillCLI.Run {
        let pid = Atomic<Int32>(0)
        let workspace = self.workspace
        let interrupt = self.interrupt
        let killServerAfter = self.killServerAfter
        let fired = Atomic<Bool>(false)
        let verbose = interrupt != nil || killServerAfter != nil
        return try await DrillCLI.run(
            ["run"] + (verbose ? ["--verbose"] : []) + options + [drillPath], workspace: workspace,
            environment: Self.environment.merging(extraEnvironment) { $1 },
            onStart: { pid.store($0, ordering: .relaxed) },
            onLine: { line in
                if let interrupt, line.contains(interrupt.after), !fired.exchange(true, ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: 0.5)
                    kill(pid.load(ordering: .relaxed), interrupt.signal)
                }
                if let killServerAfter, line.contains(killServerAfter), !fired.exchange(true, ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: 0.5)
                    for process in LiveProcesses.all() where process.commandLine.contains(workspace.path) && process.commandLine.contains("/postgres ") {
                        kill(process.pid, SIGKILL)
                    }
                }
            })
    }
}
