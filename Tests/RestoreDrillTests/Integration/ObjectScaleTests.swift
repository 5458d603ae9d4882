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
}
