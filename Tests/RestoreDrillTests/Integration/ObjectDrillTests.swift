import Drill
import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// Whole drills with an object store: the restored Supabase-shaped catalog against a moto
/// bucket as of the moment the backup was taken.
@Suite("Drills with objects", .serialized)
struct ObjectDrillTests {
    /// A fresh sample backup taken after the bucket was filled (the recovery point of a dump is when it was taken).
    static func drill(_ label: String, server: MotoServer, fill: [String], alsoBefore: [[String]] = []) async throws -> SampleDrill {
        try await server.fixture(["create-bucket", "storage", "--versioned"])
        try await server.fixture(["fill-supabase", "storage"] + fill)
        for command in alsoBefore { try await server.fixture(command) }
        try await Task.sleep(for: .milliseconds(1100))
        let workspace = try TestWorkspace(label)
        let backup = try await SampleDatabase.makeBackup(
            fixtures: RepositoryPaths.fixtures, into: workspace.path, adminPassword: SampleBackupCache.adminPassword)
        try await Task.sleep(for: .milliseconds(1100))
        var sample = SampleDrill(workspace: workspace, artifact: backup.artifactPath, drill: DrillFileBuilder(artifact: backup.artifactPath, reportsDirectory: workspace.file("reports")))
        sample.drill.checks = []
        sample.drill.objects = [
            "store: s3://storage", "endpoint: \(server.endpoint)", "access_key: env:TEST_S3_KEY", "secret_key: env:TEST_S3_SECRET",
            "catalog: supabase",
        ]
        return sample
    }

    static let environment = SampleDrill.passwordEnvironment.merging(["TEST_S3_KEY": "fixture", "TEST_S3_SECRET": "fixture-secret"]) { $1 }

    @Test func aConsistentStorePassesWithItsManifestAndCatalog() async throws {
        try await MotoServer.with { server in
            var sample = try await Self.drill("objects-good", server: server, fill: [])
            defer { sample.remove() }
            let manifest = sample.workspace.file("manifest.jsonl")
            let snapshot = try await DrillCLI.run(
                ["objects", "snapshot", "--store", "s3://storage", "--endpoint", server.endpoint, "--out", manifest], workspace: sample.workspace,
                environment: MotoServer.environment)
            #expect(snapshot.exitCode == 0, "\(snapshot.allOutput)")
            sample.drill.objects.append("manifest: \(manifest)")
            sample.drill.objects.append("materialize: true")
            // A check reads the copied files: the version as of the backup, not the later overwrite.
            let script = try sample.workspace.write(
                "files/check.sh",
                "#!/bin/sh\nset -e\ntest \"$(find \"$DRILL_OBJECTS_DIR\" -type f | wc -l)\" -eq 120\ntest \"$(stat -c %s \"$DRILL_OBJECTS_DIR/avatars/users/1/avatar.png\")\" -eq 1041\n")
            chmod(script, 0o755)
            sample.drill.checks = [try sample.workspace.write("files/files.yaml", "id: files.copied\nkind: command\nrun: ./check.sh\n")]
            // After the backup: an overwrite the drill must not see (it compares as of the backup).
            try await server.fixture(["put", "storage", "avatars/users/1/avatar.png", "--text", "overwritten later"])

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let cases = try sample.cases(ofSuite: "objects")
            #expect(cases.allSatisfy { $0["status"] as? String == "passed" }, "\(cases)")
            #expect((cases.first { $0["name"] as? String == "every catalog row resolves to an object" }?["output"] as? String)?.contains("120 catalog row(s), 120 resolved") == true)
            let objects = try sample.report()["objects"] as? [String: Any]
            #expect(objects?["matched"] as? Int == 120 && objects?["objects_in_store"] as? Int == 120)
            #expect(try sample.cases(ofSuite: "checks.files").first?["status"] as? String == "passed")
        }
    }

    @Test func catalogRowsWithoutObjectsSizeMismatchesAndOrphansAreReported() async throws {
        try await MotoServer.with { server in
            let sample = try await Self.drill("objects-bad", server: server, fill: ["--skip", "5", "--resize", "7"])
            defer { sample.remove() }
            // After the backup: the missing object arrives, and an orphan appears. Neither exists at the point.
            try await server.fixture(["fill-supabase", "storage"])
            try await server.fixture(["put", "storage", "avatars/orphan.png", "--text", "nobody points at me"])
            let run1 = try await sample.run(environment: Self.environment)
            #expect(run1.exitCode == 1, "\(run1.allOutput)")
            let cases = try sample.cases(ofSuite: "objects")
            func item(_ name: String) -> [String: Any]? { cases.first { ($0["name"] as? String ?? "").hasPrefix(name) } }
            #expect((item("every catalog row resolves")?["message"] as? String) == "1 catalog row(s) name no object at the recovery point: avatars/users/5/avatar.png")
            #expect((item("catalog sizes and ETags")?["message"] as? String) == "1 catalog row(s) disagree with their object: avatars/users/7/avatar.png")
            #expect(item("objects without a catalog row")?["message"] == nil, "the orphan came after the point")
            let lines = try String(contentsOfFile: sample.workspace.file("reports/objects.jsonl"), encoding: .utf8)
            #expect(lines.contains("\"key\":\"avatars/users/5/avatar.png\"") && !lines.contains("orphan.png"))
        }
    }

    @Test func anOrphanBeforeThePointIsAWarningUnlessTheDrillSaysFail() async throws {
        try await MotoServer.with { server in
            var sample = try await Self.drill(
                "objects-orphan", server: server, fill: [], alsoBefore: [["put", "storage", "avatars/orphan.png", "--text", "nobody points at me"]])
            defer { sample.remove() }
            let warned = try await sample.run(environment: Self.environment)
            #expect(warned.exitCode == 0, "\(warned.allOutput)")
            let warning = try sample.cases(ofSuite: "objects").first { ($0["name"] as? String ?? "").hasPrefix("objects without a catalog row") }
            let output = (warning?["output"] as? String) ?? ""
            #expect(output.hasPrefix("warning: 1 object(s) no catalog row names: avatars/orphan.png"), "\(output)")

            sample.drill.objects.append("orphans: fail")
            let failed = try await sample.run(environment: Self.environment)
            #expect(failed.exitCode == 1)
        }
    }
}
