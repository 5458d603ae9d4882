import Drill
import DrillSupport
import DrillTestSupport
import Foundation
import Provisioning

/// Faults of the object store that belongs with a backup: an object the catalog names is
/// missing at the recovery point, an object was altered, the store cannot be reached.
enum ObjectFaults {
    typealias Fault = FaultCorpusTests.Fault
    typealias Expected = FaultCorpusTests.Expected

    static let all: [Fault] = [
        Fault(
            description: "object missing at the recovery point", feature: "objects",
            expected: Expected(
                exit: 1, suite: "objects", caseName: "every catalog row resolves to an object", status: "failed",
                phrase: "1 catalog row(s) name no object at the recovery point: avatars/users/5/avatar.png"),
            prepare: { try await scene("objmissing", fill: ["--skip", "5"]) }),
        Fault(
            description: "object altered after it was recorded", feature: "objects",
            expected: Expected(
                exit: 1, suite: "objects", caseName: "objects have the recorded size and sha256", status: "failed",
                phrase: "1 object(s) changed: avatars/users/8/avatar.png"),
            prepare: {
                try await scene("objaltered", fill: [], manifest: true) { server in
                    // Same size, other bytes: only the hash can tell.
                    try await server.fixture(["put", "storage", "avatars/users/8/avatar.png", "--random", String(1024 + 8 * 17), "--seed", "8"])
                }
            }),
        Fault(
            description: "object store unreachable", feature: "objects",
            expected: Expected(exit: 3, suite: "objects", caseName: "object store compared", status: "error", phrase: "cannot connect"),
            prepare: {
                var scene = try await ObjectFaults.scene("objdown", fill: [])
                // The drill file points at a port held bound and not listening: refused for as
                // long as the row runs (a released port could be taken by a parallel test).
                let text = try String(contentsOfFile: scene.drillPath, encoding: .utf8)
                let closed = try SilentListener(listening: false)
                scene.drillPath = try scene.workspace.write(
                    "drill.yaml", text.replacingOccurrences(of: #"endpoint: http://127.0.0.1:\d+"#, with: "endpoint: http://127.0.0.1:\(closed.port)", options: .regularExpression))
                let stopServer = scene.cleanup
                scene.cleanup = {
                    closed.close()
                    stopServer?()
                }
                return scene
            }),
    ]

    /// A moto bucket filled with the Supabase fixture's objects, a backup taken after it (and
    /// after `alter`), and a drill comparing them at the backup's moment.
    static func scene(
        _ label: String, fill: [String], manifest: Bool = false, alter: (@Sendable (MotoServer) async throws -> Void)? = nil
    ) async throws -> FaultScene {
        let server = try await MotoServer.start()
        do {
            try await server.fixture(["create-bucket", "storage", "--versioned"])
            try await server.fixture(["fill-supabase", "storage"] + fill)
            let workspace = try TestWorkspace(label)
            var scene = FaultScene(workspace: workspace)
            var builder = DrillFileBuilder(artifact: "", reportsDirectory: workspace.file("reports"))
            builder.checks = []
            builder.variables.append("fault_secret: env:RD_FAULT_SECRET")
            builder.objects = [
                "store: s3://storage", "endpoint: \(server.endpoint)", "access_key: env:RD_FAULT_S3_KEY", "secret_key: env:RD_FAULT_SECRET",
                "catalog: supabase",
            ]
            if manifest {
                let path = workspace.file("manifest.jsonl")
                let snapshot = try await DrillCLI.run(
                    ["objects", "snapshot", "--store", "s3://storage", "--endpoint", server.endpoint, "--out", path], workspace: workspace,
                    environment: MotoServer.environment)
                guard snapshot.exitCode == 0 else { throw TestSupportError("snapshot: \(snapshot.allOutput)") }
                builder.objects.append("manifest: \(path)")
                scene.sources.append(path)
            }
            try await alter?(server)
            try await Task.sleep(for: .milliseconds(1100))
            let backup = try await SampleDatabase.makeBackup(fixtures: RepositoryPaths.fixtures, into: workspace.path, adminPassword: SampleBackupCache.adminPassword)
            try await Task.sleep(for: .milliseconds(1100))
            builder.artifact = backup.artifactPath
            scene.drillPath = try workspace.write("drill.yaml", builder.yaml)
            scene.sources.append(backup.artifactPath)
            scene.cleanup = { server.terminate() }
            return scene
        } catch {
            server.terminate()
            throw error
        }
    }
}
