import DrillTestSupport
import Foundation
import Restore

/// Faults of pg_dump backups and of drill and check files.
enum LogicalFaults {
    typealias Fault = FaultCorpusTests.Fault
    typealias Expected = FaultCorpusTests.Expected

    static let all: [Fault] = [
        Fault(
            description: "truncated dump", feature: "pg_dump",
            expected: Expected(exit: 1, suite: "verify", caseName: "size matches", status: "failed", phrase: "truncated"),
            prepare: { try await scene("truncated") { try FileEdits.truncate($0.artifact, keeping: 0.6) } }),
        Fault(
            description: "flipped byte in a custom-format dump's data", feature: "pg_dump",
            expected: Expected(exit: 1, suite: "verify", caseName: "sha256 matches", status: "failed", phrase: "changed since it was recorded"),
            prepare: { try await scene("flipped") { try FileEdits.flipByte($0.artifact, at: 0.7) } }),
        Fault(
            description: "wrong recorded sha256", feature: "pg_dump",
            expected: Expected(exit: 1, suite: "verify", caseName: "sha256 matches", status: "failed", phrase: "was recorded"),
            prepare: {
                try await scene("wrongsha") {
                    try FileEdits.editSidecar($0.artifact, pattern: #""sha256" : "[0-9a-f]{64}""#, with: "\"sha256\" : \"\(String(repeating: "0", count: 64))\"")
                }
            }),
        Fault(
            description: "wrong recorded size", feature: "pg_dump",
            expected: Expected(exit: 1, suite: "verify", caseName: "size matches", status: "failed", phrase: "were recorded at backup time"),
            prepare: { try await scene("wrongsize") { try FileEdits.editSidecar($0.artifact, pattern: #""size" : \d+"#, with: "\"size\" : 123") } }),
        Fault(
            description: "dump truncated before it was recorded (backup job died mid-write)", feature: "pg_dump",
            expected: Expected(exit: 1, suite: "restore", caseName: "pg_restore", status: "failed", phrase: "cannot be restored as it is"),
            prepare: {
                try await scene("truncated-recorded") { sample in
                    try FileManager.default.removeItem(atPath: BackupMetadata.sidecarPath(for: sample.artifact))
                    try FileEdits.truncate(sample.artifact, keeping: 0.6)
                    // `record` reads the data to count its rows: it refuses the cut archive at backup time.
                    let record = try await DrillCLI.run(["record", sample.artifact], workspace: sample.workspace)
                    guard record.exitCode == 1, record.standardError.contains("damaged or truncated"),
                        !FileManager.default.fileExists(atPath: BackupMetadata.sidecarPath(for: sample.artifact))
                    else { throw TestSupportError("record accepted a truncated archive: exit \(record.exitCode ?? -1), \(record.allOutput)") }
                }
            }),
        Fault(
            description: "not a dump at all", feature: "pg_dump",
            expected: Expected(exit: 1, suite: "plan", caseName: "format", status: "failed", phrase: "is not a pg_dump archive"),
            prepare: {
                try await scene("notadump") { sample in
                    try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: sample.artifact))
                    try FileManager.default.removeItem(atPath: BackupMetadata.sidecarPath(for: sample.artifact))
                }
            }),
        Fault(
            description: "backup artifact missing", feature: "pg_dump",
            expected: Expected(exit: 1, suite: "plan", caseName: "fetch", status: "failed", phrase: "does not exist"),
            prepare: { try await scene("missing") { try FileManager.default.removeItem(atPath: $0.artifact) } }),
        Fault(
            description: "malformed drill file", feature: "drill file",
            expected: Expected(exit: 2, suite: "plan", caseName: "drill file is valid", status: "error", phrase: "drill.yaml:3:8: invalid YAML"),
            prepare: {
                var scene = try await LogicalFaults.scene("malformed") { _ in }
                let reports = scene.workspace.file("reports")
                scene.drillPath = try scene.workspace.write("drill.yaml", "name: broken\ntargets: [rpo: 1h\nreports: {dir: \(reports)}\n")
                scene.options = ["--reports", reports]
                return scene
            }),
        Fault(
            description: "unknown check kind", feature: "checks",
            expected: Expected(exit: 2, suite: "plan", caseName: "drill file is valid", status: "error", phrase: "unknown check kind 'ouija'"),
            prepare: {
                try await scene("checkkind") { sample in
                    sample.drill.checks = [try sample.workspace.write("mine/odd.yaml", "id: odd\nkind: ouija\nquery: SELECT 1\nexpect: true\n")]
                }
            }),
        Fault(
            description: "a check that hangs", feature: "checks",
            expected: Expected(exit: 3, suite: "checks.faults", caseName: "Hangs", status: "error", phrase: "timed out after 1.0s"),
            prepare: {
                try await scene("hang") { sample in
                    sample.drill.checks.append(
                        try sample.workspace.write(
                            "faults/hang.yaml", "id: faults.hang\nname: Hangs\ntimeout: 1s\nquery: SELECT pg_sleep(600) IS NOT NULL\nexpect: true\n"))
                }
            }),
        Fault(
            description: "admin password no longer verifies", feature: "checks",
            expected: Expected(
                exit: 1, suite: "checks.app-example", caseName: "Admin password hash verifies", status: "failed", phrase: "the password does not verify"),
            prepare: {
                try await scene("wrongpass") { sample in
                    // The drill is given another password than the one the backup's admin has.
                    sample.drill.variables = sample.drill.variables.map { $0.hasPrefix("admin_password:") ? "admin_password: env:RD_FAULT_SECRET" : $0 }
                }
            }),
        Fault(
            description: "application never becomes ready", feature: "services",
            expected: Expected(exit: 3, suite: "services", caseName: "service app is ready", status: "error", phrase: "did not become ready within 2.0s"),
            prepare: {
                try await scene("notready") { sample in
                    let script = try sample.workspace.write("app.sh", "#!/bin/sh\necho migrating the schema\nexec sleep 300\n")
                    chmod(script, 0o755)
                    sample.drill.services = ["- name: app", "  run: \(script)", "  ready: {url: /health}", "  start_timeout: 2s"]
                }
            }),
        Fault(
            description: "SIGINT mid-restore", feature: "teardown",
            expected: Expected(exit: 130, suite: "restore", caseName: "restore interrupted", status: "error", phrase: "interrupted"),
            prepare: {
                var scene = try await slowRestore("sigint")
                scene.interrupt = ("restore: started", SIGINT)
                return scene
            }),
        Fault(
            description: "PostgreSQL killed (SIGKILL) mid-restore", feature: "teardown",
            expected: Expected(exit: 3, suite: "restore", caseName: "psql", status: "error", phrase: "psql exited with code"),
            prepare: {
                var scene = try await slowRestore("sigkill")
                scene.killServerAfter = "restore: started"
                return scene
            }),
    ]

    static func scene(_ label: String, _ edit: @Sendable (inout SampleDrill) async throws -> Void) async throws -> FaultScene {
        var sample = try await SampleDrill.prepare(label)
        sample.drill.variables.append("fault_secret: env:RD_FAULT_SECRET")
        try await edit(&sample)
        var scene = FaultScene(workspace: sample.workspace)
        scene.drillPath = try sample.workspace.write("drill.yaml", sample.drill.yaml)
        scene.sources = [sample.artifact, BackupMetadata.sidecarPath(for: sample.artifact)].filter { FileManager.default.fileExists(atPath: $0) }
        return scene
    }

    /// A plain SQL "dump" whose restore takes a minute, so a signal lands while it runs.
    static func slowRestore(_ label: String) async throws -> FaultScene {
        let workspace = try TestWorkspace(label)
        let artifact = try workspace.write("slow.sql", "--\n-- PostgreSQL database dump\n--\nCREATE TABLE t (i int);\nSELECT pg_sleep(60);\n")
        var builder = DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports"))
        builder.postgresExtra = ["version: \(try await TestServer.newestMajor())"]
        builder.checks = []
        builder.variables = ["fault_secret: env:RD_FAULT_SECRET"]
        var scene = FaultScene(workspace: workspace)
        scene.drillPath = try workspace.write("drill.yaml", builder.yaml)
        scene.sources = [artifact]
        return scene
    }
}

/// Ways the tests break files.
enum FileEdits {
    static func truncate(_ path: String, keeping fraction: Double) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: path))
    }

    static func flipByte(_ path: String, at fraction: Double) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[Int(Double(data.count) * fraction)] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func editSidecar(_ artifact: String, pattern: String, with replacement: String) throws {
        let sidecar = BackupMetadata.sidecarPath(for: artifact)
        let text = try String(contentsOfFile: sidecar, encoding: .utf8)
        try text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression).write(toFile: sidecar, atomically: true, encoding: .utf8)
    }
}
