import DrillSupport
import Foundation
import Provisioning

/// Lays a base backup out as a data directory in the drill's temp dir: tar files extracted
/// (WAL into `pg_wal`), tablespaces moved under the temp dir and their links and
/// `tablespace_map` pointed there, so recovery never touches the paths production used.
public enum BaseBackupExtractor {
    /// Extracts `backup` into the empty folder `data`; tablespaces go to `tablespaceRoot/OID`. Returns report notes.
    public static func extract(_ backup: BaseBackup, into data: String, tablespaceRoot: String, progress: @Sendable (String) -> Void)
        async throws -> [String]
    {
        var notes: [String] = []
        switch backup.layout {
        case .tar(let compression):
            progress("extracting \(backup.baseTar!)")
            try await untar(backup.baseTar!, into: data, compression: compression)
            let suffix = BaseBackup.suffix(compression)
            let walTar = backup.directory + "/pg_wal.tar" + suffix
            if FileManager.default.fileExists(atPath: walTar) {
                try await untar(walTar, into: data + "/pg_wal", compression: compression)
                notes.append("WAL included in the backup (pg_wal.tar) extracted")
            }
            let tablespaceTars = ((try? FileManager.default.contentsOfDirectory(atPath: backup.directory)) ?? []).filter {
                $0.hasSuffix(".tar" + suffix) && Int($0.dropLast((".tar" + suffix).count)) != nil
            }
            for tarName in tablespaceTars.sorted() {
                let oid = String(tarName.dropLast((".tar" + suffix).count))
                let target = tablespaceRoot + "/" + oid
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                try await untar(backup.directory + "/" + tarName, into: target, compression: compression)
                try link(tablespace: oid, to: target, data: data)
                notes.append("tablespace \(oid) remapped to \(target)")
            }
        case .plain:
            progress("copying \(backup.directory)")
            let copy = try await ProcessRunner.run(
                ToolInvocation(executable: "cp", arguments: ["-a", backup.directory + "/.", data], displayName: "cp"))
            guard copy.succeeded else { throw extractionError(copy, source: backup.directory) }
            notes += try await remapPlainTablespaces(data: data, tablespaceRoot: tablespaceRoot)
        }
        return notes
    }

    /// Runs `pg_verifybackup` (WAL parsing skipped: WAL comes from the archive) against the extracted copy.
    public static func verify(_ backup: BaseBackup, data: String, binaries: ServerBinaries) async throws -> String {
        guard let manifest = backup.manifestPath else { return "no backup_manifest: pg_verifybackup skipped" }
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: binaries.path("pg_verifybackup"), arguments: ["--no-parse-wal", "--manifest-path=\(manifest)", data],
                displayName: "pg_verifybackup"))
        guard result.succeeded else {
            let findings = (result.standardError + result.standardOutput).split(separator: "\n").filter { $0.contains("error") }
            throw RestoreError(
                .failure, step: "pg_verifybackup",
                "pg_verifybackup found the base backup \(backup.name) damaged: \(findings.prefix(3).joined(separator: "; ")). Use another backup.",
                detail: result.standardError)
        }
        return "pg_verifybackup: \(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))"
    }

    /// After verification: point `tablespace_map` (which recovery turns into links) at the remapped folders.
    public static func rewriteTablespaceMap(data: String, tablespaceRoot: String) throws {
        let mapPath = data + "/tablespace_map"
        guard let text = try? String(contentsOfFile: mapPath, encoding: .utf8), !text.isEmpty else { return }
        let lines = text.split(separator: "\n").compactMap { line -> String? in
            guard let oid = line.split(separator: " ").first else { return nil }
            return "\(oid) \(tablespaceRoot)/\(oid)"
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: mapPath, atomically: true, encoding: .utf8)
    }

    static func untar(_ tar: String, into directory: String, compression: Compression) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var arguments = ["-xf", tar, "-C", directory]
        if let tool = compression.tool { arguments.insert("--use-compress-program=\(tool) -d", at: 0) }
        let result = try await ProcessRunner.run(ToolInvocation(executable: "tar", arguments: arguments, displayName: "tar"))
        guard result.succeeded else { throw extractionError(result, source: tar) }
    }

    static func link(tablespace oid: String, to target: String, data: String) throws {
        let linkPath = data + "/pg_tblspc/" + oid
        try FileManager.default.createDirectory(atPath: data + "/pg_tblspc", withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: linkPath)
        try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: target)
    }

    static func remapPlainTablespaces(data: String, tablespaceRoot: String) async throws -> [String] {
        let directory = data + "/pg_tblspc"
        var notes: [String] = []
        for oid in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() {
            let linkPath = directory + "/" + oid
            guard let original = try? FileManager.default.destinationOfSymbolicLink(atPath: linkPath) else { continue }
            guard FileManager.default.fileExists(atPath: original) else {
                throw RestoreError(
                    .failure, step: "base backup",
                    "tablespace \(oid) of the plain-format backup points to \(original), which does not exist here; back up with --format=tar or copy it")
            }
            let target = tablespaceRoot + "/" + oid
            let copy = try await ProcessRunner.run(ToolInvocation(executable: "cp", arguments: ["-a", original, target], displayName: "cp"))
            guard copy.succeeded else { throw extractionError(copy, source: original) }
            try link(tablespace: oid, to: target, data: data)
            notes.append("tablespace \(oid) copied from \(original) to \(target) (read-only)")
        }
        return notes
    }

    static func extractionError(_ result: ToolResult, source: String) -> RestoreError {
        let text = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        let noSpace = text.contains("No space left")
        return RestoreError(
            noSpace ? .error : .failure, step: "extract",
            noSpace
                ? "no space left on the drill's temp dir while extracting \(source); set TMPDIR to a larger filesystem"
                : "cannot extract \(source): \(text.split(separator: "\n").prefix(2).joined(separator: "; ")). The base backup is damaged or incomplete.",
            detail: text)
    }
}
