import DrillSupport
import DrillTestSupport
import Foundation
import Restore

/// Backups that are not whole, though every byte of them is what was recorded: the layer that
/// knows what a complete restore of the database looks like (inventory, rows, fingerprints).
enum CompletenessFaults {
    typealias Fault = FaultCorpusTests.Fault
    typealias Expected = FaultCorpusTests.Expected

    static let whole = "the backup holds a whole database"
    static let fingerprints = "restored tables match the source's fingerprints"

    static let all: [Fault] = parts + [
        Fault(
            description: "a schema-only dump presented as the nightly backup", feature: "completeness",
            expected: Expected(exit: 1, suite: "completeness", caseName: whole, status: "failed", phrase: "(a schema-only dump)"),
            prepare: { try await scene("schemaonly", variant: SampleVariant(dumpArguments: ["--schema-only"])) { _ in } }),
        Fault(
            description: "a schema-only dump with no metadata recorded", feature: "completeness",
            expected: Expected(exit: 1, suite: "completeness", caseName: whole, status: "failed", phrase: "(a schema-only dump)"),
            prepare: {
                try await scene("schemaonly-bare", variant: SampleVariant(dumpArguments: ["--schema-only"])) { sample in
                    try FileManager.default.removeItem(atPath: BackupMetadata.sidecarPath(for: sample.artifact))
                }
            }),
        Fault(
            description: "a dump that leaves out one table (pg_dump -T), fingerprints recorded", feature: "completeness",
            expected: Expected(
                exit: 1, suite: "completeness", caseName: fingerprints, status: "failed",
                phrase: "holds no data for 1 table(s) the source had: app.catalog_imports"),
            prepare: {
                try await scene("excluded", variant: SampleVariant(dumpArguments: ["--exclude-table=app.catalog_imports"], fingerprints: true)) { _ in }
            }),
        Fault(
            description: "a plain dump cut off before its constraints, recorded after the cut", feature: "completeness",
            expected: Expected(exit: 1, suite: "completeness", caseName: whole, status: "failed", phrase: "completion trailer"),
            prepare: {
                try await scene("cut-recorded", format: .plain) { sample in
                    try FileManager.default.removeItem(atPath: BackupMetadata.sidecarPath(for: sample.artifact))
                    try cutBeforeConstraints(sample.artifact)
                    let record = try await DrillCLI.run(["record", sample.artifact], workspace: sample.workspace)
                    guard record.exitCode == 0, record.standardError.contains("completion trailer") else {
                        throw TestSupportError("record did not warn of the cut dump: \(record.allOutput)")
                    }
                }
            }),
        Fault(
            description: "a plain dump cut off before its constraints, no metadata", feature: "completeness",
            expected: Expected(exit: 1, suite: "completeness", caseName: whole, status: "failed", phrase: "completion trailer"),
            prepare: {
                try await scene("cut-bare", format: .plain) { sample in
                    try FileManager.default.removeItem(atPath: BackupMetadata.sidecarPath(for: sample.artifact))
                    try cutBeforeConstraints(sample.artifact)
                }
            }),
        Fault(
            description: "a value changed in a plain dump whose checksum was taken after the change", feature: "completeness",
            expected: Expected(exit: 1, suite: "completeness", caseName: fingerprints, status: "failed", phrase: "rows as recorded, but their content differs"),
            prepare: {
                try await scene("valuechanged", format: .plain, variant: SampleVariant(fingerprints: true)) { sample in
                    try replaceOnce(in: sample.artifact, "admin@example.com", with: "admin@examp1e.com")
                    try await rechecksum(sample.artifact)
                }
            }),
        Fault(
            description: "rows dropped from a plain dump after record counted them, checksum retaken", feature: "completeness",
            expected: Expected(exit: 1, suite: "completeness", caseName: "every table has the rows", status: "failed", phrase: "app.audit_log: 49990 rows restored, 50000 recorded"),
            prepare: {
                try await scene("rowsdropped", format: .plain) { sample in
                    try dropCopyRows(in: sample.artifact, table: "app.audit_log", count: 10)
                    try await rechecksum(sample.artifact)
                }
            }),
    ]

    /// Backups kept as more than one file, or as one file of a whole cluster.
    static let parts: [Fault] = [
        Fault(
            description: "a pg_dumpall cut off between two databases (the first one whole)", feature: "completeness",
            expected: Expected(exit: 1, suite: "completeness", caseName: whole, status: "failed", phrase: "the pg_dumpall file does not end with its trailer"),
            prepare: {
                try await scene("cluster-cut", variant: SampleVariant(otherForms: true)) { sample in
                    let forms = try await formsFolder()
                    let text = try String(contentsOfFile: forms + "/cluster.sql", encoding: .utf8)
                    guard let cut = text.range(of: "--\n-- Database \"postgres\" dump") else { throw TestSupportError("no postgres section in cluster.sql") }
                    sample.drill.artifact = try sample.workspace.write("cluster.sql", String(text[..<cut.lowerBound]))
                }
            }),
        Fault(
            description: "a roles file cut off before its role memberships", feature: "completeness",
            expected: Expected(exit: 1, suite: "restore", caseName: "roles file", status: "failed", phrase: "does not end with its trailer"),
            prepare: {
                try await scene("roles-cut", variant: SampleVariant(otherForms: true)) { sample in
                    let forms = try await formsFolder()
                    let text = try String(contentsOfFile: forms + "/roles.sql", encoding: .utf8)
                    guard let cut = text.range(of: "--\n-- Role memberships") else { throw TestSupportError("no memberships in roles.sql") }
                    sample.drill.backupExtra = ["roles: \(try sample.workspace.write("roles.sql", String(text[..<cut.lowerBound])))"]
                }
            }),
    ]

    /// The cached sample's folder of other forms (`SampleForms`).
    static func formsFolder() async throws -> String {
        guard let forms = try await SampleBackupCache.shared.backup(variant: SampleVariant(otherForms: true)).otherForms else {
            throw TestSupportError("the sample was made without its other forms")
        }
        return forms
    }

    static func scene(
        _ label: String, format: DumpFormat = .custom, variant: SampleVariant = .plain, _ edit: @Sendable (inout SampleDrill) async throws -> Void
    ) async throws -> FaultScene {
        var sample = try await SampleDrill.prepare(label, format: format, variant: variant)
        sample.drill.variables.append("fault_secret: env:RD_FAULT_SECRET")
        try await edit(&sample)
        var scene = FaultScene(workspace: sample.workspace)
        scene.drillPath = try sample.workspace.write("drill.yaml", sample.drill.yaml)
        scene.sources = [sample.artifact, BackupMetadata.sidecarPath(for: sample.artifact)].filter { FileManager.default.fileExists(atPath: $0) }
        return scene
    }

    /// Ends the plain dump where its first constraint begins (a backup job that died there).
    static func cutBeforeConstraints(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let entry = text.range(of: #"\n--\n-- Name: [^\n]*; Type: CONSTRAINT;"#, options: .regularExpression) else {
            throw TestSupportError("no constraint in \(path)")
        }
        try String(text[..<entry.lowerBound]).write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func replaceOnce(in path: String, _ old: String, with new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let range = text.range(of: old) else { throw TestSupportError("'\(old)' is not in \(path)") }
        try text.replacingCharacters(in: range, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Removes the first `count` rows of `table`'s COPY data.
    static func dropCopyRows(in path: String, table: String, count: Int) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        guard let copy = lines.firstIndex(where: { $0.hasPrefix("COPY \(table) ") }) else { throw TestSupportError("no COPY of \(table) in \(path)") }
        lines.removeSubrange((copy + 1)...(copy + count))
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Writes the artifact's present size and checksum into its sidecar, keeping the rest.
    static func rechecksum(_ artifact: String) async throws {
        let digest = try await ContentDigest.of(path: artifact)
        try FileEdits.editSidecar(artifact, pattern: #""sha256" : "[0-9a-f]{64}""#, with: "\"sha256\" : \"\(digest.sha256)\"")
        try FileEdits.editSidecar(artifact, pattern: #""size" : \d+"#, with: "\"size\" : \(digest.size.bytes)")
    }
}
