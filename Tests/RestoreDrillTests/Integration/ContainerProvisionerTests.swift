import DrillSupport
import DrillTestSupport
import Foundation
import Provisioning
import Restore
import Synchronization
import Testing

/// The container provisioner with podman (no Docker engine runs on these machines), on the image
/// `scripts/container-image` builds once per machine (the official image's contract).
@Suite("Container provisioner", .serialized)
struct ContainerProvisionerTests {
    static let podmanArguments = ["--runtime", "runc"]

    @Test func commandLinesCarryLabelsNoNetworkAndNoPassword() {
        var options = ContainerOptions(runtime: "podman", runtimeArguments: ["--runtime", "runc"], image: nil, drillName: "nightly")
        let run = ContainerCommands.run(
            options, name: "restore-drill-abc", image: options.image(major: 16), port: 54321, settings: ["archive_mode": "off", "work_mem": "64MB"],
            dataDirectory: nil, created: "2026-11-24T22:00:00Z", ownerPID: 4242)
        #expect(run == [
            "--runtime", "runc", "run", "--detach", "--name", "restore-drill-abc", "--label", "io.restore-drill=1", "--label",
            "io.restore-drill.drill=nightly", "--label", "io.restore-drill.created=2026-11-24T22:00:00Z", "--label", "io.restore-drill.pid=4242",
            "--env", "POSTGRES_PASSWORD", "--env", "PGDATA=/var/lib/postgresql/data", "--network", "none", "postgres:16",
            "postgres", "-c", "archive_mode=off", "-c", "listen_addresses=", "-c", "port=54321", "-c", "work_mem=64MB",
        ])
        options.image = "registry.example/postgres@sha256:0123"
        let other = ContainerCommands.run(
            options, name: "n", image: options.image(major: 16), port: 5555, settings: [:], dataDirectory: "/tmp/restore-drill-x/data",
            created: "t", ownerPID: 1)
        #expect(!other.contains("--publish") && !other.contains("host"))
        #expect(Array(other.suffix(6)) == ["registry.example/postgres@sha256:0123", "postgres", "-c", "listen_addresses=", "-c", "port=5555"])
        #expect(other.contains("/tmp/restore-drill-x/data:/var/lib/postgresql/data"))
        #expect(ContainerCommands.remove(options, name: "n") == ["--runtime", "runc", "rm", "--force", "--volumes", "n"])
        #expect(ContainerCommands.listDrillContainers(ContainerOptions()).contains("label=io.restore-drill"))
    }

    static var podmanReady: Bool { findInPath("podman") != nil && findInPath("runc") != nil }

    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"))
    func aDrillRunsInAPodmanContainerAndLeavesNothingBehind() async throws {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        var sample = try await SampleDrill.prepare("container")
        defer { sample.remove() }
        sample.drill.postgresExtra = [
            "version: auto", "image: \(image)",
        ]
        let yaml = sample.drill.yaml.replacingOccurrences(of: "provisioner: pg_ctl", with: "provisioner: docker\n  runtime: podman\n  runtime_args: [--runtime, runc]")
        let path = try sample.workspace.write("drill.yaml", yaml)

        let run = try await DrillCLI.run(["run", "--verbose", path], workspace: sample.workspace, environment: ContainerImage.environment.merging(SampleDrill.passwordEnvironment) { $1 })

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let provision = (try sample.cases(ofSuite: "provision").first?["output"] as? String) ?? ""
        #expect(provision.contains("via podman"), "\(provision)")
        let quarantine = try sample.cases(ofSuite: "quarantine")
        #expect(quarantine.contains { $0["name"] as? String == "the container has no network (--network=none)" && $0["status"] as? String == "passed" })
        #expect(quarantine.allSatisfy { $0["status"] as? String == "passed" }, "\(quarantine)")
        #expect(try await ContainerImage.drillContainers().isEmpty, "podman ps -a shows no drill container after teardown: \(run.allOutput)")

        // A kept container is a leftover `cleanup` finds and removes.
        let kept = try await DrillCLI.run(["run", "--keep", path], workspace: sample.workspace, environment: ContainerImage.environment.merging(SampleDrill.passwordEnvironment) { $1 })
        #expect(kept.exitCode == 0)
        #expect(try await ContainerImage.drillContainers().count == 1)
        let cleanup = try await DrillCLI.run(
            ["cleanup", "--runtime", "podman", "--runtime-arg=--runtime", "--runtime-arg=runc"], workspace: sample.workspace, environment: ContainerImage.environment)
        #expect(cleanup.standardOutput.contains("removed  podman restore-drill-"), "\(cleanup.allOutput)")
        #expect(try await ContainerImage.drillContainers().isEmpty)
    }
}

extension ContainerProvisionerTests {
    /// The image's own pg_restore and psql, run inside the container (as when this machine has no
    /// client programs of the backup's major), through the socket in the drill's folder.
    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"), arguments: [DumpFormatCase.custom, .plainGzip])
    func theImagesOwnToolsRestoreThroughTheSocket(format: DumpFormatCase) async throws {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        var sample = try await SampleDrill.prepare("container-tools", format: format.format, compression: format.compression)
        defer { sample.remove() }
        sample.drill.postgresExtra = ["image: \(image)", "client_tools: container"]
        let yaml = sample.drill.yaml.replacingOccurrences(of: "provisioner: pg_ctl", with: "provisioner: docker\n  runtime: podman\n  runtime_args: [--runtime, runc]")
        let path = try sample.workspace.write("drill.yaml", yaml)

        let run = try await DrillCLI.run(["run", path], workspace: sample.workspace, environment: ContainerImage.environment.merging(SampleDrill.passwordEnvironment) { $1 })

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let restore = try sample.cases(ofSuite: "restore").first
        let restoreName = (restore?["name"] as? String) ?? ""
        let restoreOutput = (restore?["output"] as? String) ?? ""
        #expect(restoreName.contains(format.tool), "\(restoreName)")
        #expect(restoreOutput.contains("(\(image))"), "the tool came from the image: \(restoreOutput)")
        let quarantine = try sample.cases(ofSuite: "quarantine")
        #expect(quarantine.contains { $0["name"] as? String == "the container has no network (--network=none)" && $0["status"] as? String == "passed" }, "\(quarantine)")
        #expect(try await ContainerImage.drillContainers().isEmpty)
    }
}

extension ContainerProvisionerTests {
    /// An image that cannot be had stops the drill early, naming it and the major version.
    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"))
    func aMissingImageIsAnErrorThatNamesIt() async throws {
        let major = try await TestServer.newestMajor()
        var sample = try await SampleDrill.prepare("container-noimage")
        defer { sample.remove() }
        sample.drill.postgresExtra = ["image: localhost/postgres-missing:\(major)"]
        let yaml = sample.drill.yaml.replacingOccurrences(of: "provisioner: pg_ctl", with: "provisioner: docker\n  runtime: podman\n  runtime_args: [--runtime, runc]")
        let path = try sample.workspace.write("drill.yaml", yaml)

        let run = try await DrillCLI.run(["run", path], workspace: sample.workspace, environment: ContainerImage.environment.merging(SampleDrill.passwordEnvironment) { $1 })

        #expect(run.exitCode == 3, "\(run.allOutput)")
        #expect(run.standardError.contains("the image localhost/postgres-missing:\(major) for PostgreSQL \(major) is not available to podman"), "\(run.standardError)")
        #expect(try await ContainerImage.drillContainers().isEmpty)
        #expect(sample.workspace.leftoversInTmp().isEmpty)
    }
}

extension ContainerProvisionerTests {
    /// A container that dies mid-restore is the harness's problem (exit 3), not a bad backup.
    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"))
    func aContainerKilledMidRestoreIsAnErrorNotAFailure() async throws {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        let workspace = try TestWorkspace("container-killed")
        defer { workspace.remove() }
        let artifact = try workspace.write("slow.sql", "--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (i int);\nSELECT pg_sleep(60);\n")
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks = []
        builder.variables = []
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())", "image: \(image)"]
        let yaml = builder.yaml.replacingOccurrences(of: "provisioner: pg_ctl", with: "provisioner: docker\n  runtime: podman\n  runtime_args: [--runtime, runc]")
            .replacingOccurrences(of: "variables:\n", with: "")
        let path = try workspace.write("drill.yaml", yaml)
        let killed = Atomic<Bool>(false)
        let environment = ContainerImage.environment

        let run = try await DrillCLI.run(["run", "--verbose", path], workspace: workspace, environment: environment, onLine: { line in
            guard line.contains("restore: started"), !killed.exchange(true, ordering: .relaxed) else { return }
            Thread.sleep(forTimeInterval: 1.5)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: findInPath("podman") ?? "/usr/bin/podman")
            process.arguments = ["ps", "--filter", "label=io.restore-drill", "--format", "{{.Names}}"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            try? process.run()
            process.waitUntilExit()
            let names = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
            for name in names {
                let kill = Process()
                kill.executableURL = process.executableURL
                kill.arguments = ["--runtime", "runc", "kill", String(name)]
                kill.environment = process.environment
                try? kill.run()
                kill.waitUntilExit()
            }
        })

        let didKill = killed.load(ordering: .relaxed)
        #expect(didKill)
        #expect(run.exitCode == 3, "\(run.allOutput)")
        let restore = try DrillCLI.report(in: workspace.file("reports"))["suites"] as? [[String: Any]] ?? []
        let failedCase = restore.first { $0["name"] as? String == "restore" }?["cases"] as? [[String: Any]] ?? []
        #expect(failedCase.first?["status"] as? String == "error", "\(failedCase)")
        #expect(try await ContainerImage.drillContainers().isEmpty)
    }
}

extension ContainerProvisionerTests {
    /// A base backup and its WAL archive recovered to a point in time inside a container: the data
    /// directory and the archive mounted, no network, the drill on a socket in its scratch folder.
    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"))
    func aPhysicalBackupRecoversToAPointInTimeInAContainer() async throws {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        let fixture = try await PhysicalFixture.make(label: "container-pitr", batches: 3, format: .tar)
        defer { fixture.remove() }
        var drill = try PhysicalDrill("container-pitr", fixture: fixture)
        defer { drill.remove() }
        let mark = fixture.marks[1]
        drill.target = "{time: '\(TimestampText.postgres(mark.time))'}"
        drill.expectedRows = mark.rows
        let yaml = try drill.yaml().replacingOccurrences(
            of: "postgres: {provisioner: pg_ctl}",
            with: "postgres: {provisioner: docker, runtime: podman, runtime_args: [--runtime, runc], image: \(image)}")
        let path = try drill.workspace.write("drill.yaml", yaml)

        let run = try await DrillCLI.run(["run", path], workspace: drill.workspace, environment: ContainerImage.environment)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let recovered = try drill.cases(ofSuite: "recover").first
        #expect(recovered?["status"] as? String == "passed", "\(String(describing: recovered))")
        let quarantine = try drill.cases(ofSuite: "quarantine")
        #expect(quarantine.allSatisfy { $0["status"] as? String == "passed" }, "\(quarantine)")
        #expect(try await ContainerImage.drillContainers().isEmpty)
    }

    /// The same from a bucket: fetched on the host into the drill's folder, then mounted into a
    /// container that has no network at all.
    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"))
    func aBaseBackupFromABucketRecoversInAContainer() async throws {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        let fixture = try await SharedPITRFixture.shared.get()
        var drill = try PhysicalDrill("container-s3", fixture: fixture)
        defer { drill.remove() }
        try await MotoServer.with { server in
            try await S3BaseBackupTests.upload(fixture, to: server)
            let mark = fixture.marks[1]
            drill.catalog = "s3://backups/base/"
            drill.archive = "s3://backups/wal/"
            drill.extraBackup = S3BaseBackupTests.s3Lines(server)
            drill.target = "{time: '\(TimestampText.postgres(mark.time))'}"
            drill.expectedRows = mark.rows
            let yaml = try drill.yaml().replacingOccurrences(
                of: "postgres: {provisioner: pg_ctl}",
                with: "postgres: {provisioner: docker, runtime: podman, runtime_args: [--runtime, runc], image: \(image)}")
            let path = try drill.workspace.write("drill.yaml", yaml)

            let run = try await DrillCLI.run(
                ["run", path], workspace: drill.workspace, environment: ContainerImage.environment.merging(S3BaseBackupTests.environment) { $1 })

            #expect(run.exitCode == 0, "\(run.allOutput)")
            #expect(try drill.cases(ofSuite: "recover").first?["status"] as? String == "passed")
            #expect(try drill.cases(ofSuite: "fetch").contains { $0["name"] as? String == "backup fetched" })
            #expect(try await ContainerImage.drillContainers().isEmpty)
            #expect(drill.workspace.leftoversInTmp().isEmpty)
        }
    }
}

extension ContainerProvisionerTests {
    /// A slow plain restore in a container drill, and a signal once it runs: SIGINT must still
    /// tear down (podman rm runs outside the cancelled task), SIGKILL is answered by the watchdog.
    @Test(.enabled(if: podmanReady, "podman and runc are not installed (scripts/test installs them as root)"), arguments: [SIGINT, SIGKILL])
    func aSignalMidRestoreLeavesNoContainer(signal: Int32) async throws {
        let image = try await ContainerImage.ensure(major: try await TestServer.newestMajor())
        let workspace = try TestWorkspace("container-signal")
        defer { workspace.remove() }
        let artifact = try workspace.write("slow.sql", "--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (i int);\nSELECT pg_sleep(120);\n")
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.checks = []
        builder.variables = ["note: signal"]
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())", "image: \(image)"]
        let yaml = builder.yaml.replacingOccurrences(of: "provisioner: pg_ctl", with: "provisioner: docker\n  runtime: podman\n  runtime_args: [--runtime, runc]")
        let path = try workspace.write("drill.yaml", yaml)
        let pid = Atomic<Int32>(0)
        let restoring = Atomic<Bool>(false)
        let run = Task {
            try await DrillCLI.run(
                ["run", "--verbose", path], workspace: workspace, environment: ContainerImage.environment,
                onStart: { pid.store($0, ordering: .relaxed) },
                onLine: { if $0.contains("restore: started") { restoring.store(true, ordering: .relaxed) } })
        }
        for _ in 0..<600 where !restoring.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .seconds(1))
        #expect(try await ContainerImage.drillContainers().count == 1, "a container must run before the signal")
        kill(pid.load(ordering: .relaxed), signal)
        let result = try await run.value

        if signal == SIGINT { #expect(result.exitCode == 130, "\(result.allOutput)") }
        var left = try await ContainerImage.drillContainers()
        for _ in 0..<100 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = try await ContainerImage.drillContainers()
        }
        #expect(left.isEmpty, "containers left after \(signal == SIGINT ? "SIGINT" : "SIGKILL"): \(left)")
        #expect(LiveProcesses.all().filter { $0.commandLine.contains(workspace.tmp) }.isEmpty)
        if signal == SIGKILL {
            _ = try await DrillCLI.run(["cleanup", "--runtime", "none"], workspace: workspace)
        }
        #expect(workspace.leftoversInTmp().isEmpty, "\(workspace.leftoversInTmp())")
    }
}

/// Dump formats the container test restores.
enum DumpFormatCase: String, CaseIterable, Sendable, CustomStringConvertible {
    case custom, plainGzip
    var format: DumpFormat { self == .custom ? .custom : .plain }
    var compression: Compression { self == .custom ? .none : .gzip }
    var tool: String { self == .custom ? "pg_restore" : "psql" }
    var description: String { rawValue }
}

/// The local image and the podman recipe of these machines.
enum ContainerImage {
    static var environment: [String: String] {
        // Not named restore-drill-*: that prefix is what leftover checks look for.
        let conf = "/tmp/rdtest-containers.conf"
        if !FileManager.default.fileExists(atPath: conf) {
            try? "[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = \"cgroupfs\"\n".write(toFile: conf, atomically: true, encoding: .utf8)
        }
        return ["CONTAINERS_CONF": conf]
    }

    /// Builds `localhost/postgres:MAJOR` once per machine (scripts/container-image caches it by tag).
    static func ensure(major: Int) async throws -> String {
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: RepositoryPaths.root + "/scripts/container-image", arguments: [String(major), "podman"], environment: environment, captureLimit: 1 << 20))
        guard result.succeeded else { throw TestSupportError("scripts/container-image \(major): \(result.standardError)") }
        return "localhost/postgres:\(major)"
    }

    /// Names of containers with the drill label.
    static func drillContainers() async throws -> [String] {
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: "podman", arguments: ["ps", "--all", "--filter", "label=io.restore-drill", "--format", "{{.Names}}"], environment: environment))
        return result.standardOutput.split(separator: "\n").map(String.init)
    }
}
