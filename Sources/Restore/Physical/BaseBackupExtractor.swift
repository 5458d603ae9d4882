import DrillSupport
import Foundation
import Provisioning

/// Lays a base backup out as a data directory in the drill's temp dir: tar files extracted
/// (WAL into `pg_wal`), tablespaces moved under the temp dir and their links and
/// `tablespace_map` pointed there, so recovery never touches the paths production used.
public enum BaseBackupExtractor {
    /// Extracts `backup` into the empty folder `data`; tablespaces go to `tablespaceRoot/OID`.
    /// The drill opens the backup's own files (read-only, whoever owns them) and streams them
    /// into `tar`, which runs through `contain`: as the server's account, in the drill's sandbox,
    /// so an archive whose members climb out through links cannot write anywhere but the drill's
    /// folder. Folders that a plain backup's tablespace links name elsewhere on this machine are
    /// read as the server's account only, never as root. Returns report notes.
    public static func extract(
        _ backup: BaseBackup, into data: String, tablespaceRoot: String, contain: @escaping @Sendable (ToolInvocation) -> ToolInvocation = { $0 },
        progress: @Sendable (String) -> Void
    ) async throws -> [String] {
        var notes: [String] = []
        switch backup.layout {
        case .tar(let compression):
            progress("extracting \(backup.baseTar!)")
            try await untar(backup.baseTar!, into: data, compression: compression, contain: contain)
            let suffix = BaseBackup.suffix(compression)
            let walTar = backup.directory + "/pg_wal.tar" + suffix
            if FileManager.default.fileExists(atPath: walTar) {
                try await untar(walTar, into: data + "/pg_wal", compression: compression, contain: contain)
                notes.append("WAL included in the backup (pg_wal.tar) extracted")
            }
            let tablespaceTars = ((try? FileManager.default.contentsOfDirectory(atPath: backup.directory)) ?? []).filter {
                $0.hasSuffix(".tar" + suffix) && Int($0.dropLast((".tar" + suffix).count)) != nil
            }
            for tarName in tablespaceTars.sorted() {
                let oid = String(tarName.dropLast((".tar" + suffix).count))
                let target = tablespaceRoot + "/" + oid
                try await untar(backup.directory + "/" + tarName, into: target, compression: compression, contain: contain)
                try link(tablespace: oid, to: target, data: data)
                notes.append("tablespace \(oid) remapped to \(target)")
            }
        case .plain:
            progress("copying \(backup.directory)")
            // tar -c stores links as links: it reads the backup's own files only.
            let pair = try await ProcessRunner.runPipeline(
                ToolInvocation(executable: "tar", arguments: ["-C", backup.directory, "-cf", "-", "."], displayName: "tar -c"),
                into: contain(
                    ToolInvocation(
                        executable: "tar", arguments: ["--no-same-owner", "--no-same-permissions", "-xf", "-", "-C", data], displayName: "tar -x")))
            guard pair.producer.succeeded else { throw extractionError(pair.producer, source: backup.directory) }
            guard pair.consumer.succeeded else { throw extractionError(pair.consumer, source: backup.directory) }
            notes += try await remapPlainTablespaces(data: data, tablespaceRoot: tablespaceRoot, contain: contain)
        }
        return notes
    }

    /// Runs `pg_verifybackup` (WAL parsing skipped: WAL comes from the archive) against the extracted copy.
    public static func verify(
        _ backup: BaseBackup, data: String, binaries: ServerBinaries, contain: @escaping @Sendable (ToolInvocation) -> ToolInvocation = { $0 }
    ) async throws -> String {
        guard let original = backup.manifestPath else { return "no backup_manifest: pg_verifybackup skipped" }
        // pg_verifybackup runs as the server's account, which may not read the backup's folder:
        // it gets a copy of the manifest next to the data directory, owned like it.
        let manifest = (data as NSString).deletingLastPathComponent + "/backup_manifest.copy"
        try? FileManager.default.removeItem(atPath: manifest)
        try FileManager.default.copyItem(atPath: original, toPath: manifest)
        var owner = stat()
        if stat(data, &owner) == 0 { chown(manifest, owner.st_uid, owner.st_gid) }
        let result = try await ProcessRunner.run(
            contain(
                ToolInvocation(
                    executable: binaries.path("pg_verifybackup"), arguments: ["--no-parse-wal", "--manifest-path=\(manifest)", data],
                    displayName: "pg_verifybackup")))
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

    static func untar(
        _ tar: String, into directory: String, compression: Compression, contain: @Sendable (ToolInvocation) -> ToolInvocation
    ) async throws {
        // Made by the extracting account itself, so the folder is its own.
        let made = try await ProcessRunner.run(contain(ToolInvocation(executable: "mkdir", arguments: ["-p", directory], displayName: "mkdir")))
        guard made.succeeded else { throw extractionError(made, source: tar) }
        // No owners or permissions from the archive: the server's account owns what it extracts.
        // The archive comes on standard input, opened by the drill.
        var arguments = ["--no-same-owner", "--no-same-permissions", "-xf", "-", "-C", directory]
        if let tool = compression.tool { arguments.insert("--use-compress-program=\(tool) -d", at: 0) }
        let result = try await ProcessRunner.run(
            contain(ToolInvocation(executable: "tar", arguments: arguments, input: .file(tar), displayName: "tar")))
        guard result.succeeded else { throw extractionError(result, source: tar) }
    }

    static func link(tablespace oid: String, to target: String, data: String) throws {
        let linkPath = data + "/pg_tblspc/" + oid
        try FileManager.default.createDirectory(atPath: data + "/pg_tblspc", withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: linkPath)
        try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: target)
    }

    static func remapPlainTablespaces(
        data: String, tablespaceRoot: String, contain: @Sendable (ToolInvocation) -> ToolInvocation
    ) async throws -> [String] {
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
            let copy = try await ProcessRunner.run(
                contain(ToolInvocation(executable: "cp", arguments: ["-R", "--no-preserve=ownership", original, target], displayName: "cp")))
            if !copy.succeeded && copy.standardError.contains("Permission denied") {
                throw RestoreError(
                    .error, step: "extract",
                    "tablespace \(oid) of the plain-format backup links to \(original), which the server's OS account cannot read: the drill copies it as that account, never as root. Grant it read access, or back up with --format=tar.",
                    detail: copy.standardError)
            }
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
