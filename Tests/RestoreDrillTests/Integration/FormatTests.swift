import DrillTestSupport
import Foundation
import Restore
import Testing

/// Every pg_dump format, and outer compression detected by magic bytes, restores and passes.
@Suite("Backup formats and compression", .serialized)
struct FormatTests {
    @Test(arguments: [
        (DumpFormat.directory, Compression.none), (.tar, .none), (.plain, .none), (.custom, .gzip), (.custom, .zstd),
        (.plain, .gzip), (.plain, .lz4),
    ])
    func restoresAndPasses(format: DumpFormat, compression: Compression) async throws {
        let workspace = try TestWorkspace("format")
        defer { workspace.remove() }
        let artifact = try await SampleBackupCache.shared.copy(format: format, compression: compression, into: workspace)
        let drill = try workspace.write("drill.yaml", DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports")).yaml)

        let run = try await DrillCLI.run(["run", drill], workspace: workspace, environment: DrillRunTests.passwordEnvironment)

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try DrillCLI.report(in: workspace.file("reports"))
        #expect((report["backup"] as? [String: Any])?["format"] as? String == "pg_dump/\(format.rawValue)")
        let checks = report["checks"] as? [[String: Any]] ?? []
        #expect(checks.count == 6 && checks.allSatisfy { $0["status"] as? String == "passed" })
        #expect(workspace.leftoversInTmp().isEmpty)
    }
}
