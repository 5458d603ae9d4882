import DrillSupport
import DrillTestSupport
import Foundation

/// Faults of the machine the drill runs on.
enum EnvironmentFaults {
    typealias Fault = FaultCorpusTests.Fault
    typealias Expected = FaultCorpusTests.Expected

    static let all: [Fault] = [
        Fault(
            description: "no PostgreSQL binaries of the needed major", feature: "provisioning",
            expected: Expected(exit: 3, suite: "plan", caseName: "binariesNotFound", status: "error", phrase: "PostgreSQL 11 server binaries are not installed"),
            prepare: {
                try await LogicalFaults.scene("nomajor") { sample in
                    try FileEdits.editSidecar(sample.artifact, pattern: #""server_version" : "[^"]+""#, with: "\"server_version\" : \"11.22\"")
                }
            }),
        Fault(
            description: "temp dir filesystem full", feature: "provisioning",
            expected: Expected(exit: 3, suite: "provision", caseName: "initdbFailed", status: "error", phrase: "No space left on device"),
            prepare: {
                var scene = try await LogicalFaults.scene("diskfull") { _ in }
                // The drill's TMPDIR becomes a 16 MB tmpfs: too small for initdb.
                let mount = try await ProcessRunner.run(
                    ToolInvocation(executable: "mount", arguments: ["-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", scene.workspace.tmp]))
                guard mount.succeeded else { throw TestSupportError("cannot mount a tmpfs (needs root): \(mount.standardError)") }
                let tmp = scene.workspace.tmp
                scene.cleanup = { _ = try? Process.run(URL(fileURLWithPath: "/bin/umount"), arguments: [tmp]).waitUntilExit() }
                return scene
            }),
        Fault(
            description: "a secret reference that cannot be resolved", feature: "drill file",
            expected: Expected(exit: 2, suite: "plan", caseName: "plan", status: "error", phrase: "secret env:RD_UNSET_SECRET could not be resolved"),
            prepare: {
                try await LogicalFaults.scene("unsetsecret") { sample in sample.drill.variables.append("missing_token: env:RD_UNSET_SECRET") }
            }),
    ]
}
