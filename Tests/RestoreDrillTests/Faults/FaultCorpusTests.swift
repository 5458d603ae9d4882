import DrillSupport
import DrillTestSupport
import Foundation
import Restore
import Testing

/// The fault corpus: each case breaks a good backup or its environment and must end in the
/// right exit code and report entry, leave nothing behind, leave the source untouched, and
/// print no secret. `scripts/fault-table` turns its results into the README's table.
@Suite("Fault corpus", .serialized)
struct FaultCorpusTests {
    struct Expected: Sendable {
        var exit: Int32
        var suite: String
        var caseName: String
        var status: String
        var phrase: String
    }

    struct Fault: Sendable, CustomStringConvertible {
        var description: String
        var feature: String
        var expected: Expected
        var prepare: @Sendable () async throws -> FaultScene
    }

    static let faults: [Fault] = LogicalFaults.all + CompletenessFaults.all + PhysicalFaults.all + ObjectFaults.all + EnvironmentFaults.all + ContainmentFaults.all

    @Test(arguments: faults)
    func caught(fault: Fault) async throws {
        let scene = try await fault.prepare()
        defer {
            scene.cleanup?()
            scene.workspace.remove()
        }
        var before: [ContentDigest] = []
        for source in scene.sources { before.append(try await ContentDigest.of(path: source)) }

        let run = try await scene.run()
        let extraProblems = await scene.afterRun?() ?? []
        await scene.asyncCleanup?()

        let reports = scene.workspace.file("reports")
        let exitCode = run.exitCode ?? run.signal.map { 128 + $0 }
        let message: String
        let entryOK: Bool
        let junitOK: Bool
        if run.signal == SIGKILL {
            // A killed drill writes no report: what must work then is `cleanup`.
            let cleanup = try await DrillCLI.run(["cleanup"] + scene.cleanupArguments, workspace: scene.workspace, environment: ContainerImage.environment)
            message = cleanup.standardOutput.split(separator: "\n").first { $0.contains(fault.expected.phrase) }.map(String.init) ?? ""
            entryOK = !message.isEmpty
            junitOK = true
            #expect(entryOK, "cleanup did not say '\(fault.expected.phrase)': \(cleanup.allOutput)")
        } else {
            let report = try DrillCLI.report(in: reports)
            let suites = report["suites"] as? [[String: Any]] ?? []
            let cases = suites.first { $0["name"] as? String == fault.expected.suite }?["cases"] as? [[String: Any]] ?? []
            let entry = cases.first { $0["status"] as? String == fault.expected.status && ($0["name"] as? String ?? "").contains(fault.expected.caseName) }
            message = entry?["message"] as? String ?? ""
            let junit = (try? String(contentsOfFile: reports + "/junit.xml", encoding: .utf8)) ?? ""
            entryOK = entry != nil && message.contains(fault.expected.phrase)
            let element = fault.expected.status == "failed" ? "<failure" : "<error"
            let schemaProblems = try await DrillCLI.schemaProblems(junit: reports + "/junit.xml")
            junitOK = junit.contains(element) && schemaProblems == nil
            #expect(entryOK, "no \(fault.expected.status) entry '\(fault.expected.caseName)' with '\(fault.expected.phrase)' in \(fault.expected.suite): \(cases)")
            #expect(junitOK)
        }

        // 1. The right exit code and report entry, in report.json and in JUnit.
        let exitOK = exitCode == fault.expected.exit
        #expect(exitOK, "exit \(exitCode.map(String.init) ?? "?"), expected \(fault.expected.exit)\n\(run.allOutput)")
        #expect(extraProblems.isEmpty, "\(extraProblems)")
        // 2. Nothing left: no temp dir, no process of the drill.
        let leftovers = scene.workspace.leftoversInTmp()
        let processes = LiveProcesses.all().filter { $0.commandLine.contains(scene.workspace.path) }
        #expect(leftovers.isEmpty, "temp dirs left: \(leftovers)")
        #expect(processes.isEmpty, "processes left: \(processes.map(\.commandLine))")
        // 3. The source untouched.
        var after: [ContentDigest] = []
        for source in scene.sources { after.append(try await ContentDigest.of(path: source)) }
        #expect(after == before, "the backup or archive changed during the drill")
        // 4. No secret, no DSN with a password, anywhere.
        let everything = run.allOutput + DrillCLI.reportTexts(in: reports)
        let secretsOK = !everything.contains(FaultScene.secret) && !everything.contains(SampleBackupCache.adminPassword)
            && everything.range(of: #"://[^:/@\s]+:(?!\*\*\*\*@)[^@\s/]+@"#, options: .regularExpression) == nil
            && everything.range(of: #"password=(?!\*\*\*\*)\S"#, options: .regularExpression) == nil
        #expect(secretsOK)

        FaultTable.record(
            fault: fault.description, feature: fault.feature, expected: fault.expected, exit: exitCode, message: message,
            invariantsHeld: exitOK && entryOK && junitOK && leftovers.isEmpty && processes.isEmpty && after == before && secretsOK
                && extraProblems.isEmpty)
    }
}

/// Writes one JSON line per case to `$RESTORE_DRILL_FAULT_TABLE` when set (scripts/fault-table reads it).
enum FaultTable {
    static func record(fault: String, feature: String, expected: FaultCorpusTests.Expected, exit: Int32?, message: String, invariantsHeld: Bool) {
        guard let path = ProcessInfo.processInfo.environment["RESTORE_DRILL_FAULT_TABLE"] else { return }
        let line: [String: Any] = [
            "fault": fault, "feature": feature, "expected_exit": expected.exit, "exit": exit.map { Int($0) } ?? -1,
            "entry": "\(expected.suite) / \(expected.caseName) (\(expected.status))", "message": message, "invariants": invariantsHeld,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) else { return }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(data + Data("\n".utf8))
            handle.closeFile()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8))
        }
    }
}
