import DrillSupport
import DrillTestSupport
import Foundation
import Synchronization
import Testing

/// `objects snapshot` and `objects verify` against a real S3 protocol server (moto) on loopback.
@Suite("Object store: snapshot, verify as of a point", .serialized)
struct ObjectStoreTests {
    /// Runs `restore-drill objects ARGS --store s3://BUCKET --endpoint ...`.
    static func objects(_ command: String, _ server: MotoServer, bucket: String, _ extra: [String], workspace: TestWorkspace, environment: [String: String] = MotoServer.environment) async throws -> DrillCLI.Run {
        try await DrillCLI.run(["objects", command, "--store", "s3://\(bucket)", "--endpoint", server.endpoint] + extra, workspace: workspace, environment: environment)
    }

    static func report(_ directory: String) throws -> [String: Any] { try DrillCLI.report(in: directory) }

    static func findings(_ directory: String) throws -> [[String: String]] {
        let text = try String(contentsOfFile: directory + "/objects.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String] }
    }

    /// A moment between two writes, with a second's margin each side (listings give whole seconds).
    static func pause() async throws -> String {
        try await Task.sleep(for: .milliseconds(1100))
        let point = TimestampText.iso(Date())
        try await Task.sleep(for: .milliseconds(1100))
        return point
    }

    @Test func anUntouchedBucketVerifiesAndEachChangeIsNamedAsOfThePoint() async throws {
        let workspace = try TestWorkspace("objects")
        defer { workspace.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "uploads", "--versioned"])
            let keys = ["avatars/a b+c.png", "avatars/été.png", "invoices/2026/11/x=1&y.pdf", "to-delete-late.bin", "to-delete-early.bin", "dots/../up.bin"]
            for (index, key) in keys.enumerated() {
                // Some with a stored SHA-256 checksum, which the GET then carries and verify compares.
                let checksum = index % 2 == 0 ? ["--checksum"] : []
                try await server.fixture(["put", "uploads", key, "--random", String(50_000 + index * 1000), "--seed", String(index)] + checksum)
            }
            let manifest = workspace.file("manifest.jsonl")
            let snapshot = try await Self.objects("snapshot", server, bucket: "uploads", ["--out", manifest], workspace: workspace)
            #expect(snapshot.exitCode == 0, "\(snapshot.allOutput)")
            let lines = try String(contentsOfFile: manifest, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 6)
            #expect(lines.first?.contains("\"key\":\"avatars/a b+c.png\"") == true, "sorted by key: \(lines)")

            let untouched = try await Self.objects("verify", server, bucket: "uploads", ["--manifest", manifest, "--reports", workspace.file("r1")], workspace: workspace)
            #expect(untouched.exitCode == 0, "\(untouched.allOutput)")

            // Deleted before the point: missing at it. Then the point. Then an overwrite (same
            // size, other bytes) and a delete after it.
            try await server.fixture(["delete", "uploads", "to-delete-early.bin"])
            let point = try await Self.pause()
            try await server.fixture(["put", "uploads", "avatars/été.png", "--random", "51000", "--seed", "99"])
            try await server.fixture(["delete", "uploads", "to-delete-late.bin"])

            let atPoint = try await Self.objects("verify", server, bucket: "uploads", ["--manifest", manifest, "--at", point, "--reports", workspace.file("r2")], workspace: workspace)
            #expect(atPoint.exitCode == 1, "\(atPoint.allOutput)")
            #expect(try Self.findings(workspace.file("r2")).map { [$0["category"]!, $0["key"]!] } == [["missing", "to-delete-early.bin"]])

            let now = try await Self.objects("verify", server, bucket: "uploads", ["--manifest", manifest, "--reports", workspace.file("r3")], workspace: workspace)
            #expect(now.exitCode == 1)
            let found = try Self.findings(workspace.file("r3"))
            #expect(found.map { [$0["category"]!, $0["key"]!] } == [["missing", "to-delete-early.bin"], ["missing", "to-delete-late.bin"], ["changed", "avatars/été.png"]])
            #expect(found.first { $0["category"] == "changed" }?["detail"]?.hasPrefix("sha256 ") == true)
            // JUnit: one case per category, the keys in the message.
            let junit = try String(contentsOfFile: workspace.file("r3/junit.xml"), encoding: .utf8)
            #expect(junit.contains("2 object(s) missing from the store: to-delete-early.bin, to-delete-late.bin"))
            #expect(junit.contains("1 object(s) changed: avatars/été.png"))
            let objects = try Self.report(workspace.file("r3"))["objects"] as? [String: Any]
            #expect(objects?["history_known"] as? Bool == true)
            #expect((objects?["findings"] as? [Any])?.count == 3)

            // An object the manifest does not know is extra.
            try await server.fixture(["put", "uploads", "new/late.txt", "--text", "hello"])
            let extra = try await Self.objects("verify", server, bucket: "uploads", ["--manifest", manifest, "--reports", workspace.file("r4")], workspace: workspace)
            #expect(try Self.findings(workspace.file("r4")).contains { $0["category"] == "extra" && $0["key"] == "new/late.txt" }, "\(extra.allOutput)")
        }
    }

    @Test func shardsSplitTheKeysAndTheirReportsMergeIntoOne() async throws {
        let workspace = try TestWorkspace("objects-shards")
        defer { workspace.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "sharded"])
            try await server.fixture(["put-many", "sharded", "part/", "30", "2048"])
            let manifest = workspace.file("m.jsonl")
            #expect(try await Self.objects("snapshot", server, bucket: "sharded", ["--out", manifest], workspace: workspace).exitCode == 0)
            try await server.fixture(["put", "sharded", "part/000007.bin", "--random", "2048", "--seed", "700"])
            var directories: [String] = []
            for shard in 1...3 {
                let directory = workspace.file("shard-\(shard)")
                directories.append(directory)
                let run = try await Self.objects("verify", server, bucket: "sharded", ["--manifest", manifest, "--shard", "\(shard)/3", "--reports", directory], workspace: workspace)
                #expect(run.exitCode == 0 || run.exitCode == 1, "\(run.allOutput)")
            }
            let counts = try directories.map { try (Self.report($0)["objects"] as? [String: Any])?["objects_in_manifest"] as? Int ?? -1 }
            #expect(counts.reduce(0, +) == 30 && counts.allSatisfy { $0 > 0 }, "every key in exactly one shard: \(counts)")

            let merged = try await DrillCLI.run(["report", "merge", "--out", workspace.file("merged")] + directories, workspace: workspace)
            #expect(merged.exitCode == 1, "\(merged.allOutput)")
            let objects = try Self.report(workspace.file("merged"))["objects"] as? [String: Any]
            #expect(objects?["matched"] as? Int == 29 && objects?["objects_in_manifest"] as? Int == 30)
            #expect(try Self.findings(workspace.file("merged")).map { $0["key"]! } == ["part/000007.bin"])
            let schema = try await DrillCLI.schemaProblems(junit: workspace.file("merged/junit.xml"))
            #expect(schema == nil, "\(schema ?? "")")

            let partial = try await DrillCLI.run(["report", "merge", "--out", workspace.file("partial")] + directories.prefix(2), workspace: workspace)
            #expect(partial.exitCode != 0)
            #expect(try String(contentsOfFile: workspace.file("partial/junit.xml"), encoding: .utf8).contains("2 of 3 shard reports were given"))
        }
    }

    @Test func materializingNeverWritesIntoTheSourceOrOutsideItsFolder() async throws {
        let workspace = try TestWorkspace("objects-materialize")
        defer { workspace.remove() }
        try workspace.write("source/a/one.txt", "one")
        try workspace.write("source/two.txt", "two")
        let inside = try await DrillCLI.run(
            ["objects", "materialize", "--store", "file://\(workspace.file("source"))", "--into", workspace.file("source/copy")], workspace: workspace)
        #expect(inside.exitCode == 3 && inside.standardError.contains("overlaps the source folder"), "\(inside.allOutput)")
        let copied = try await DrillCLI.run(
            ["objects", "materialize", "--store", "file://\(workspace.file("source"))", "--into", workspace.file("copy")], workspace: workspace)
        #expect(copied.exitCode == 0, "\(copied.allOutput)")
        #expect(try String(contentsOfFile: workspace.file("copy/a/one.txt"), encoding: .utf8) == "one")
        let again = try await DrillCLI.run(
            ["objects", "materialize", "--store", "file://\(workspace.file("source"))", "--into", workspace.file("copy")], workspace: workspace)
        #expect(again.exitCode == 3 && again.standardError.contains("the folder is not empty"))

        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "escape"])
            try await server.fixture(["put", "escape", "../../outside.txt", "--text", "x"])
            try await server.fixture(["put", "escape", "fine/inside.txt", "--text", "y"])
            let run = try await Self.objects("materialize", server, bucket: "escape", ["--into", workspace.file("s3copy")], workspace: workspace)
            #expect(run.exitCode == 1, "\(run.allOutput)")
            #expect(run.standardError.contains("not written: ../../outside.txt: the key is not a safe relative path"))
            #expect(FileManager.default.fileExists(atPath: workspace.file("s3copy/fine/inside.txt")))
            #expect(!FileManager.default.fileExists(atPath: workspace.file("outside.txt")) && !FileManager.default.fileExists(atPath: (workspace.path as NSString).deletingLastPathComponent + "/outside.txt"))
        }
    }

    @Test func aWrongSecretIsRefusedWithAClearMessage() async throws {
        let workspace = try TestWorkspace("objects-auth")
        defer { workspace.remove() }
        // moto checks signatures once the first 4 actions (user, policy, key, bucket) are done.
        try await MotoServer.with(authActions: 4) { server in
            let keys = try await server.fixture(["iam-user"]).split(separator: " ").map(String.init)
            try await server.fixture(["create-bucket", "secured"], accessKey: keys[0], secretKey: keys[1])
            try await server.fixture(["put", "secured", "a.txt", "--text", "alpha"], accessKey: keys[0], secretKey: keys[1])
            let manifest = workspace.file("m.jsonl")
            let good = try await Self.objects(
                "snapshot", server, bucket: "secured", ["--out", manifest], workspace: workspace,
                environment: ["AWS_ACCESS_KEY_ID": keys[0], "AWS_SECRET_ACCESS_KEY": keys[1]])
            #expect(good.exitCode == 0, "signed requests are accepted: \(good.allOutput)")

            let wrong = try await Self.objects(
                "verify", server, bucket: "secured", ["--manifest", manifest, "--secret-key", "env:WRONG_SECRET"], workspace: workspace,
                environment: ["AWS_ACCESS_KEY_ID": keys[0], "WRONG_SECRET": "definitely-not-the-secret-key"])
            #expect(wrong.exitCode == 3, "\(wrong.allOutput)")
            #expect(wrong.standardError.contains("of bucket s3://secured answered 403 SignatureDoesNotMatch"), "\(wrong.standardError)")
            #expect(wrong.standardError.contains("Check the access key and secret"))
            #expect(!wrong.allOutput.contains("definitely-not-the-secret-key"))
        }
    }

    @Test func failuresInTransitAreRetriedAndPersistentOnesAreErrors() async throws {
        let workspace = try TestWorkspace("objects-faults")
        defer { workspace.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "flaky", "--versioned"])
            for index in 0..<4 { try await server.fixture(["put", "flaky", "obj-\(index).bin", "--random", "300000", "--seed", String(index)]) }
            let manifest = workspace.file("m.jsonl")
            #expect(try await Self.objects("snapshot", server, bucket: "flaky", ["--out", manifest], workspace: workspace).exitCode == 0)

            // Two 503s and two connections cut mid-body: retried (the cut ones resumed by range), then all match.
            let flaky = try await FaultProxy.start(upstream: server.endpoint, ["--fail-first", "2", "--drop-first", "2"])
            let retried = try await DrillCLI.run(
                ["objects", "verify", "--store", "s3://flaky", "--endpoint", flaky.endpoint, "--manifest", manifest, "--parallel", "2"],
                workspace: workspace, environment: MotoServer.environment)
            let injected = await flaky.stop()
            #expect(retried.exitCode == 0, "\(retried.allOutput)")
            #expect(retried.standardError.contains("4 of 4 object(s) match the manifest"))
            #expect(injected.contains("503 for") && injected.contains("dropped"), "\(injected)")

            // A store that only ever answers 503: an error (exit 3), after the retries.
            let down = try await FaultProxy.start(upstream: server.endpoint, ["--always-503"])
            let failed = try await DrillCLI.run(
                ["objects", "verify", "--store", "s3://flaky", "--endpoint", down.endpoint, "--manifest", manifest], workspace: workspace,
                environment: MotoServer.environment)
            _ = await down.stop()
            #expect(failed.exitCode == 3, "\(failed.allOutput)")
            #expect(failed.standardError.contains("answered 503 SlowDown") && failed.standardError.contains("after 5 attempts"), "\(failed.standardError)")
        }
    }
}

/// fixtures/objects/faultproxy.py in front of a server, on its own free port.
struct FaultProxy {
    let endpoint: String
    let task: Task<Void, Never>
    let log: LineLog

    static func start(upstream: String, _ arguments: [String]) async throws -> FaultProxy {
        let port = FreePortForTests.pick()
        let log = LineLog()
        let invocation = ToolInvocation(
            executable: "python3",
            arguments: [RepositoryPaths.root + "/fixtures/objects/faultproxy.py", "--listen", String(port), "--upstream", upstream] + arguments,
            displayName: "faultproxy", onLine: { line, _ in log.append(line) }, gracePeriod: .seconds(1))
        let task = Task { _ = try? await ProcessRunner.run(invocation) }
        let proxy = FaultProxy(endpoint: "http://127.0.0.1:\(port)", task: task, log: log)
        for _ in 0..<100 {
            if (try? await HTTPClientProbe.answers(proxy.endpoint + "/")) == true { return proxy }
            try await Task.sleep(for: .milliseconds(50))
        }
        _ = await proxy.stop()
        throw TestSupportError("the fault proxy did not start")
    }

    /// Stops it; returns what it logged (the faults it injected).
    func stop() async -> String {
        task.cancel()
        await task.value
        return log.text
    }
}

/// Lines collected from a helper's output.
final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}
