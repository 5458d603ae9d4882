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
        let sample = try await SampleDrill.prepare("format", format: format, compression: compression)
        defer { sample.remove() }

        let run = try await sample.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try sample.report()
        #expect((report["backup"] as? [String: Any])?["format"] as? String == "pg_dump/\(format.rawValue)")
        let checks = report["checks"] as? [[String: Any]] ?? []
        #expect(checks.count == 6 && checks.allSatisfy { $0["status"] as? String == "passed" })
        #expect(sample.workspace.leftoversInTmp().isEmpty)
    }
}
