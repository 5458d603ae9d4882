import DrillTestSupport
import Foundation
import Testing

/// Broken backups must end in exit 1 with the right report entry, and a clean machine.
@Suite("Broken backups are caught", .serialized)
struct BackupFaultTests {
    struct Fault: Sendable, CustomStringConvertible {
        var description: String
        /// Breaks the artifact (and maybe its metadata) in place.
        var apply: @Sendable (_ artifact: String, _ workspace: TestWorkspace) async throws -> Void
        var suite: String
        var caseName: String
        var phrase: String
        /// Phases that must have run (a checksum mismatch must stop before anything is restored).
        var phases: [String]
    }

    static let faults: [Fault] = [
        Fault(
            description: "truncated after it was recorded",
            apply: { artifact, _ in try truncate(artifact, keeping: 0.6) },
            suite: "verify", caseName: "size matches the recorded size", phrase: "truncated", phases: ["plan", "verify"]),
        Fault(
            description: "one byte flipped after it was recorded",
            apply: { artifact, _ in try flipByte(artifact, at: 0.5) },
            suite: "verify", caseName: "sha256 matches the recorded checksum", phrase: "changed since it was recorded",
            phases: ["plan", "verify"]),
        Fault(
            description: "wrong checksum recorded",
            apply: { artifact, _ in
                let sidecar = artifact + ".restore-drill.json"
                let text = try String(contentsOfFile: sidecar, encoding: .utf8)
                let fake = String(repeating: "0", count: 64)
                let edited = text.replacingOccurrences(of: #""sha256" : "[0-9a-f]{64}""#, with: "\"sha256\" : \"\(fake)\"", options: .regularExpression)
                try edited.write(toFile: sidecar, atomically: true, encoding: .utf8)
            },
            suite: "verify", caseName: "sha256 matches the recorded checksum", phrase: "but 0000000000000000000000000000000000000000000000000000000000000000 was recorded",
            phases: ["plan", "verify"]),
        Fault(
            description: "truncated before it was recorded (the backup job died mid-write)",
            apply: { artifact, workspace in
                try truncate(artifact, keeping: 0.6)
                let run = try await DrillCLI.run(["record", artifact], workspace: workspace)
                guard run.exitCode == 0 else { throw TestSupportError("record failed: \(run.allOutput)") }
            },
            suite: "restore", caseName: "pg_restore", phrase: "The backup cannot be restored as it is",
            phases: ["plan", "verify", "provision", "restore", "teardown"]),
        Fault(
            description: "not a dump at all",
            apply: { artifact, _ in
                try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: artifact))
                try FileManager.default.removeItem(atPath: artifact + ".restore-drill.json")
            },
            suite: "plan", caseName: "format", phrase: "is not a pg_dump archive", phases: ["plan"]),
        Fault(
            description: "missing",
            apply: { artifact, _ in try FileManager.default.removeItem(atPath: artifact) },
            suite: "plan", caseName: "fetch", phrase: "does not exist", phases: ["plan"]),
    ]

    @Test(arguments: faults)
    func endsInAFailureNamingTheProblem(fault: Fault) async throws {
        let sample = try await SampleDrill.prepare("fault")
        defer { sample.remove() }
        try await fault.apply(sample.artifact, sample.workspace)

        let run = try await sample.run()

        #expect(run.exitCode == 1, "\(run.allOutput)")
        #expect(try sample.report()["status"] as? String == "failed")
        #expect(try sample.suiteNames() == fault.phases)
        let failure = try sample.cases(ofSuite: fault.suite).first { $0["status"] as? String == "failed" }
        #expect(failure?["name"] as? String == fault.caseName)
        let message = failure?["message"] as? String ?? ""
        #expect(message.contains(fault.phrase), "message: \(message)")
        #expect(try await DrillCLI.schemaProblems(junit: sample.reports + "/junit.xml") == nil)
        #expect(sample.workspace.leftoversInTmp().isEmpty, "left: \(sample.workspace.leftoversInTmp())")
        #expect(sample.workspace.leftoverServerProcesses().isEmpty)
    }

    static func truncate(_ path: String, keeping fraction: Double) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: path))
    }

    static func flipByte(_ path: String, at fraction: Double) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let index = Int(Double(data.count) * fraction)
        data[index] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: path))
    }
}
