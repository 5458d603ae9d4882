import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// Memory stays bounded: listing many keys keeps one small record per key, and reading a large
/// object streams it. Peak RSS of the restore-drill process is measured (ru_maxrss of a child).
@Suite("Object store at scale", .serialized)
struct ObjectScaleTests {
    /// Runs `restore-drill ARGS` under a Python wrapper that prints the child's peak RSS in KiB.
    static func peakRSS(_ arguments: [String], workspace: TestWorkspace, environment: [String: String]) async throws -> (run: DrillCLI.Run, kib: Int) {
        let wrapper = """
            import resource, subprocess, sys
            code = subprocess.call(sys.argv[1:])
            print("maxrss", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
            sys.exit(code)
            """
        let script = try workspace.write("rss.py", wrapper)
        let run = try await DrillCLI.runProgram("python3", [script, RepositoryPaths.executable] + arguments, workspace: workspace, environment: environment)
        let kib = run.standardError.split(separator: "\n").last { $0.hasPrefix("maxrss ") }.flatMap { Int($0.dropFirst(7)) } ?? -1
        return (run, kib)
    }

    @Test func tenThousandKeysAndALargeObjectStayInBoundedMemory() async throws {
        let workspace = try TestWorkspace("objects-scale")
        defer { workspace.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "big", "--versioned"])
            try await server.fixture(["put-many", "big", "small/", "200", "1024"])
            let small = try await Self.peakRSS(
                ["objects", "snapshot", "--store", "s3://big/small/", "--endpoint", server.endpoint, "--out", workspace.file("small.jsonl")],
                workspace: workspace, environment: MotoServer.environment)
            #expect(small.run.exitCode == 0, "\(small.run.allOutput)")
            try await server.fixture(["put-many", "big", "many/", "10000", "1024"])
            let many = try await Self.peakRSS(
                ["objects", "snapshot", "--store", "s3://big/many/", "--endpoint", server.endpoint, "--out", workspace.file("many.jsonl")],
                workspace: workspace, environment: MotoServer.environment)
            #expect(many.run.exitCode == 0, "\(many.run.allOutput)")
            #expect(try String(contentsOfFile: workspace.file("many.jsonl"), encoding: .utf8).split(separator: "\n").count == 10_000)
            print("object-scale: peak RSS 200 keys \(small.kib) KiB, 10,000 keys \(many.kib) KiB")
            // 10,000 keys may cost a few KiB each (listing records, manifest lines), never the objects.
            #expect(many.kib > 0 && many.kib - small.kib < 48 * 1024, "200 keys: \(small.kib) KiB, 10,000 keys: \(many.kib) KiB")
        }

        // One 256 MiB object read through a folder store: streamed, so RSS stays far below its size.
        let folder = workspace.file("store")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let big = folder + "/large.bin"
        _ = FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        let chunk = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        for _ in 0..<256 { handle.write(chunk) }
        try handle.close()
        let large = try await Self.peakRSS(
            ["objects", "snapshot", "--store", "file://\(folder)", "--out", workspace.file("large.jsonl")], workspace: workspace, environment: [:])
        #expect(large.run.exitCode == 0, "\(large.run.allOutput)")
        print("object-scale: peak RSS hashing one 256 MiB object \(large.kib) KiB")
        #expect(large.kib > 0 && large.kib < 128 * 1024, "\(large.kib) KiB")
    }

    /// A manifest of many keys verified against a store of as many: the memory per key is what
    /// decides whether a bucket of a million objects fits a drill runner. 100,000 keys here,
    /// 1,000,000 in long mode (RESTORE_DRILL_LONG=1), where peak RSS must stay within 256 MiB.
    /// Before the compact listing and the merge join this cost about 1.3 KB a key.
    @Test func aManifestOfManyKeysVerifiesInLittleMemoryPerKey() async throws {
        let long = ProcessInfo.processInfo.environment["RESTORE_DRILL_LONG"] == "1"
        let keys = long ? 1_000_000 : 100_000
        let workspace = try TestWorkspace("objects-keys")
        defer { workspace.remove() }
        let generator = try workspace.write(
            "make.py",
            """
            import os, sys
            root, count = sys.argv[1], int(sys.argv[2])
            for i in range(count):
                folder = "%s/users/%03d" % (root, i % 1000)
                if i < 1000: os.makedirs(folder, exist_ok=True)
                with open("%s/avatar-%07d.png" % (folder, i), "w") as f:
                    f.write("%016d" % i)
            """)
        func store(_ name: String, _ count: Int) async throws -> String {
            let folder = workspace.file(name)
            let made = try await DrillCLI.runProgram("python3", [generator, folder, String(count)], workspace: workspace)
            #expect(made.exitCode == 0, "\(made.allOutput)")
            return folder
        }
        let few = try await store("few", 1000)
        let many = try await store("many", keys)
        var peaks: [String: Int] = [:]
        for (name, folder) in [("few", few), ("many", many)] {
            let snapshot = try await Self.peakRSS(
                ["objects", "snapshot", "--store", "file://\(folder)", "--out", workspace.file("\(name).jsonl")], workspace: workspace, environment: [:])
            #expect(snapshot.run.exitCode == 0, "\(snapshot.run.allOutput)")
            let verify = try await Self.peakRSS(
                ["objects", "verify", "--store", "file://\(folder)", "--manifest", workspace.file("\(name).jsonl")], workspace: workspace, environment: [:])
            #expect(verify.run.exitCode == 0, "\(verify.run.allOutput)")
            peaks["\(name) snapshot"] = snapshot.kib
            peaks["\(name) verify"] = verify.kib
        }
        let lines = try String(contentsOfFile: workspace.file("many.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == keys)
        let perKey = Double((peaks["many verify"]! - peaks["few verify"]!) * 1024) / Double(keys - 1000)
        print("object-keys: \(keys) keys, peak RSS snapshot \(peaks["many snapshot"]!) KiB, verify \(peaks["many verify"]!) KiB (\(Int(perKey)) bytes a key); 1,000 keys: \(peaks["few verify"]!) KiB")
        #expect(perKey < 250, "verify costs \(Int(perKey)) bytes a key: \(peaks)")
        #expect(peaks["many snapshot"]! < peaks["many verify"]!, "a snapshot keeps less than a verification: \(peaks)")
        if long { #expect(peaks["many verify"]! < 256 * 1024, "1,000,000 keys within 256 MiB: \(peaks)") }

        // Still exact at that size: one object changed in place, one gone, one new.
        try Data("0000000000000007".utf8).write(to: URL(fileURLWithPath: many + "/users/005/avatar-0000005.png"))
        try FileManager.default.removeItem(atPath: many + "/users/999/avatar-0000999.png")
        try Data("new".utf8).write(to: URL(fileURLWithPath: many + "/users/000/zz-new.png"))
        let damaged = try await DrillCLI.runProgram(
            RepositoryPaths.executable,
            ["objects", "verify", "--store", "file://\(many)", "--manifest", workspace.file("many.jsonl"), "--reports", workspace.file("reports")],
            workspace: workspace)
        #expect(damaged.exitCode == 1, "\(damaged.allOutput)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workspace.file("reports/report.json")))) as? [String: Any]
        let findings = ((report?["objects"] as? [String: Any])?["findings"] as? [[String: Any]]) ?? []
        #expect(findings.map { "\($0["category"] ?? "") \($0["key"] ?? "")" }.sorted() == [
            "changed users/005/avatar-0000005.png", "extra users/000/zz-new.png", "missing users/999/avatar-0000999.png",
        ])
        #expect(damaged.standardError.contains("\(keys - 2) of \(keys) object(s) match the manifest"), "\(damaged.standardError.suffix(600))")
    }

    /// A long snapshot shows its progress: under a real terminal (tmux) one live line with
    /// objects, bytes, rate and ETA; in a log (a pipe) a plain line at most every 10 seconds.
    @Test func aLongRunShowsProgressLiveOnATerminalAndSparinglyInALog() async throws {
        let workspace = try TestWorkspace("objects-progress")
        defer { workspace.remove() }
        // Sparse files: gigabytes to hash and no disk used, read one at a time so it takes seconds.
        let folder = workspace.file("store")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for index in 0..<6 {
            let path = folder + "/part-\(index).bin"
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            #expect(truncate(path, 1 << 30) == 0)
        }
        let arguments = ["objects", "snapshot", "--store", "file://\(folder)", "--parallel", "1"]

        let server = "rdtest-\(UUID().uuidString.prefix(8))"
        let command = ([RepositoryPaths.executable] + arguments + ["--out", workspace.file("tty.jsonl")]).map { "'\($0)'" }.joined(separator: " ")
        let tmux = { (words: [String]) in try await DrillCLI.runProgram("tmux", ["-L", server] + words, workspace: workspace) }
        _ = try await tmux(["new-session", "-d", "-s", "drill", "-x", "200", "-y", "10", command + "; sleep 60"])
        defer {
            let kill = Process()
            kill.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            kill.arguments = ["tmux", "-L", server, "kill-server"]
            try? kill.run()
            kill.waitUntilExit()
        }
        var live = ""
        for _ in 0..<120 {
            let screen = try await tmux(["capture-pane", "-p", "-t", "drill"]).standardOutput
            if let line = screen.split(separator: "\n").first(where: { $0.contains("[restore-drill]") && $0.contains("ETA") }) {
                live = String(line)
                break
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(live.range(of: #"\[restore-drill\] \d+/6 objects, [0-9.]+ [KMG]?i?B of 6\.00 GiB, [0-9.]+ [KMG]?i?B/s, ETA "#, options: .regularExpression) != nil, "\(live)")

        let started = ContinuousClock.now
        let logged = try await DrillCLI.runProgram(RepositoryPaths.executable, arguments + ["--out", workspace.file("log.jsonl")], workspace: workspace)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        #expect(logged.exitCode == 0, "\(logged.allOutput)")
        let lines = logged.standardError.split(separator: "\n").filter { $0.hasPrefix("[restore-drill]") }
        #expect(!logged.standardError.contains("\r") && !logged.standardError.contains("\u{1B}"), "no terminal control in a log")
        #expect(!lines.isEmpty && Double(lines.count) <= seconds / 10 + 1, "\(lines.count) progress lines in \(seconds) s: \(lines)")
    }
}
