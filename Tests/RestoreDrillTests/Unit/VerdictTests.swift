@testable import Drill
import DrillSupport
import DrillTestSupport
import Foundation
import Reports
import Testing

@Suite("One verdict rule for drills, objects verify and report merge")
struct VerdictTests {
    static func cases(_ statuses: [CaseStatus]) -> [ReportCase] {
        statuses.enumerated().map { ReportCase(name: "case \($0.offset)", status: $0.element) }
    }

    @Test func theRuleOrdersInterruptedUsageFailedErrorPassed() {
        #expect(DrillVerdict.exitCode(for: Self.cases([.passed, .skipped])) == .passed)
        #expect(DrillVerdict.exitCode(for: Self.cases([.passed, .error, .failed])) == .failed)
        #expect(DrillVerdict.exitCode(for: Self.cases([.passed, .error])) == .harness)
        #expect(DrillVerdict.exitCode(for: Self.cases([.failed]), usageError: true) == .usage)
        #expect(DrillVerdict.exitCode(for: Self.cases([.passed]), interrupted: true) == .interrupted)
        // Nothing proven is not a pass.
        #expect(DrillVerdict.exitCode(for: Self.cases([.skipped, .skipped])) == .harness)
        #expect(DrillVerdict.exitCode(for: []) == .harness)
        #expect(DrillVerdict.status(for: .interrupted) == .error && DrillVerdict.status(for: .failed) == .failed)
    }

    static func report(exitCode: Int32, status: DrillReport.Status, cases: [ReportCase]) -> DrillReport {
        DrillReport(
            drill: "objects verify", status: status, exitCode: exitCode, startedAt: Date(), finishedAt: Date(),
            backup: .init(location: "m.jsonl", format: "objects manifest"), postgres: .init(provisioner: "none"), measurements: .init(),
            targets: .init(), properties: [:], suites: [ReportSuite(name: "verify", kind: .phase, cases: cases)])
    }

    /// A part interrupted after its passing cases were written cannot make the merge green.
    @Test func aMergeWithAPartThatDidNotFinishIsNotGreen() async throws {
        let workspace = try TestWorkspace("verdict-merge")
        defer { workspace.remove() }
        let done = workspace.file("done")
        let cut = workspace.file("cut")
        _ = try ReportWriter.write(Self.report(exitCode: 0, status: .passed, cases: Self.cases([.passed])), to: done)
        _ = try ReportWriter.write(Self.report(exitCode: 130, status: .error, cases: Self.cases([.passed])), to: cut)
        let merged = try await DrillCLI.run(["report", "merge", "--out", workspace.file("merged"), done, cut], workspace: workspace)
        #expect(merged.exitCode == 3, "\(merged.allOutput)")
        let junit = try String(contentsOfFile: workspace.file("merged/junit.xml"), encoding: .utf8)
        #expect(junit.contains("1 part(s) did not finish: \(cut) (objects verify, exit 130)"), "\(junit)")
        let both = try await DrillCLI.run(["report", "merge", "--out", workspace.file("merged-ok"), done, done + "/"], workspace: workspace)
        #expect(both.exitCode == 0, "\(both.allOutput)")
    }

    @Test func objectsVerifyWhoseReportCannotBeWrittenExitsThree() async throws {
        let workspace = try TestWorkspace("verdict-objects")
        defer { workspace.remove() }
        try workspace.write("store/a.txt", "alpha")
        let store = "file://" + workspace.file("store")
        let manifest = workspace.file("m.jsonl")
        let snapshot = try await DrillCLI.run(["objects", "snapshot", "--store", store, "--out", manifest], workspace: workspace)
        #expect(snapshot.exitCode == 0, "\(snapshot.allOutput)")
        try workspace.write("a-file", "not a folder")
        let verify = try await DrillCLI.run(
            ["objects", "verify", "--store", store, "--manifest", manifest, "--reports", workspace.file("a-file/reports")], workspace: workspace)
        #expect(verify.exitCode == 3, "\(verify.allOutput)")
        #expect(verify.standardError.contains("cannot write reports"))
    }
}
