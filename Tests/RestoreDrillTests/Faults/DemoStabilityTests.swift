import DrillTestSupport
import Foundation
import Restore
import Testing

/// A harness that cries wolf is as bad as one that misses: good backups must pass every time.
/// Long mode (RESTORE_DRILL_LONG=1) runs the demo 20 times and 50 drills of good backups of every
/// kind in a row; CI's short mode the demo twice and each kind once.
@Suite("Good drills stay green", .serialized)
struct DemoStabilityTests {
    static var long: Bool { ProcessInfo.processInfo.environment["RESTORE_DRILL_LONG"] == "1" }
    static var runs: Int { long ? 20 : 2 }

    /// Formats, compressions and recordings a good backup comes in; with fingerprints the
    /// completeness layer compares every row's digest, where a false alarm would show first.
    static let kinds: [(format: DumpFormat, compression: Compression, variant: SampleVariant)] = [
        (.custom, .none, SampleVariant(fingerprints: true)), (.plain, .none, SampleVariant(fingerprints: true)),
        (.directory, .none, .plain), (.tar, .none, .plain), (.plain, .gzip, .plain),
    ]

    @Test func goodBackupsOfEveryKindPassEveryTime() async throws {
        let runs = Self.long ? 50 : Self.kinds.count
        var failures: [String] = []
        for attempt in 0..<runs {
            let kind = Self.kinds[attempt % Self.kinds.count]
            let sample = try await SampleDrill.prepare("good-\(attempt)", format: kind.format, compression: kind.compression, variant: kind.variant)
            defer { sample.remove() }
            let run = try await sample.run()
            let completeness = try sample.cases(ofSuite: "completeness")
            // Without recorded fingerprints, their case is the one that may be skipped.
            let unproven = completeness.filter { item in
                item["status"] as? String != "passed" && (kind.variant.fingerprints || item["status"] as? String != "skipped")
            }.compactMap { $0["name"] as? String }
            if run.exitCode != 0 || !unproven.isEmpty {
                failures.append("drill \(attempt + 1) (\(kind.format.rawValue), \(kind.compression.rawValue)): exit \(run.exitCode.map(String.init) ?? "?"), not passed: \(unproven)\n\(run.allOutput)")
            }
        }
        #expect(failures.isEmpty, "false alarms in \(runs) drills of good backups:\n\(failures.joined(separator: "\n"))")
        print("good-backup stability: \(runs - failures.count)/\(runs) drills passed")
    }

    @Test func theDemoDrillPassesEveryTime() async throws {
        let workspace = try TestWorkspace("stability")
        defer { workspace.remove() }
        var failures: [String] = []
        for attempt in 1...Self.runs {
            let reports = workspace.file("reports-\(attempt)")
            let run = try await DrillCLI.run(["demo", "--reports", reports, "--quiet"], workspace: workspace)
            if run.exitCode != 0 { failures.append("run \(attempt): exit \(run.exitCode.map(String.init) ?? "?")\n\(run.allOutput)") }
            #expect(workspace.leftoversInTmp().isEmpty)
            // The runbook's other parts: the app's configuration backup, and the bucket's posture (moto is installed here).
            let suites = try DrillCLI.report(in: reports)["suites"] as? [[String: Any]] ?? []
            for name in ["config", "posture"] {
                let cases = suites.first { $0["name"] as? String == name }?["cases"] as? [[String: Any]] ?? []
                #expect(cases.count >= 6 && cases.allSatisfy { $0["status"] as? String == "passed" }, "\(name): \(cases)")
            }
        }
        #expect(failures.isEmpty, "false failures in \(Self.runs) runs:\n\(failures.joined(separator: "\n"))")
        print("demo stability: \(Self.runs - failures.count)/\(Self.runs) runs passed")
    }
}
