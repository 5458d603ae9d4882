import DrillSupport
import Foundation

/// Reads what a pg_dump artifact holds, without restoring it.
public enum InventoryReader {
    /// The inventory of `pg_restore --list` output.
    public static func fromList(_ text: String) -> BackupInventory {
        var inventory = BackupInventory(source: "pg_restore --list")
        for line in text.split(separator: "\n") {
            guard let entry = TOCEntry(listLine: line) else { continue }
            inventory.add(description: entry.description, schema: entry.schema, tag: entry.tag)
        }
        return inventory
    }

    /// The table of contents only: cheap for archives (`pg_restore --list`); a plain dump is
    /// read to its end.
    public static func contents(path: String, inspection: ArtifactInspection, pgRestore: String) async throws -> BackupInventory {
        guard inspection.format.usesPgRestore else { return try await scan(try await DumpSource.open(path: path, compression: inspection.compression)) }
        return try await listed(path: path, inspection: inspection, pgRestore: pgRestore)
    }

    /// The archive's table of contents: the one inspection read, else `pg_restore --list` now.
    static func listed(path: String, inspection: ArtifactInspection, pgRestore: String) async throws -> BackupInventory {
        if let contents = inspection.contents { return contents }
        return fromList(try await DumpInspector.list(path: path, compression: inspection.compression, pgRestore: pgRestore))
    }

    /// Everything `record` writes: the table of contents, and the rows of every table's data
    /// counted by reading the data through `pg_restore --data-only -f -` (archives) or the
    /// dump itself (plain SQL). Reads the whole artifact once.
    public static func full(
        path: String, inspection: ArtifactInspection, pgRestore: String, onProgress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> BackupInventory {
        guard inspection.format.usesPgRestore else {
            return try await scan(try await DumpSource.open(path: path, compression: inspection.compression), onProgress: onProgress)
        }
        var inventory = try await listed(path: path, inspection: inspection, pgRestore: pgRestore)
        // The data is read whole: a decompressor that fails fails the scan.
        let producer = ToolInvocation.pgRestoreSQL("--data-only", path: path, compression: inspection.compression, pgRestore: pgRestore, wholeInput: true)
        let data = try await scan(try DumpSource.open(producer: producer, path: path), onProgress: onProgress)
        inventory.rows = data.rows
        return inventory
    }

    /// Reads `source` to its end through a `PlainDumpScanner`.
    static func scan(_ source: DumpSource, onProgress: (@Sendable (Int64) -> Void)? = nil) async throws -> BackupInventory {
        var scanner = PlainDumpScanner()
        var pending: [UInt8] = []
        var total: Int64 = 0
        var failure: (any Error)?
        while true {
            let chunk: [UInt8]
            do { chunk = try await source.read() } catch {
                failure = error
                break
            }
            if chunk.isEmpty { break }
            total += Int64(chunk.count)
            onProgress?(total)
            pending += chunk
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if scanner.isInCopy, newline > start, pending[start] != UInt8(ascii: "\\") {
                    scanner.countRow()
                } else {
                    scanner.observe(Substring(decoding: pending[start..<newline], as: UTF8.self))
                }
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        if failure == nil, !pending.isEmpty { scanner.observe(Substring(decoding: pending, as: UTF8.self)) }
        if let problem = await source.close(stoppedEarly: failure != nil) { throw problem }
        if let failure { throw failure }
        return scanner.result
    }
}

extension ToolInvocation {
    /// `pg_restore MODE --file=-` of the archive at `path`: the SQL it would run, on standard
    /// output, through the archive's decompressor when it has one. With `wholeInput`, a
    /// decompressor that fails fails the invocation (pipefail); without, pg_restore may stop
    /// reading early (`--schema-only`) and the decompressor's SIGPIPE is no failure.
    static func pgRestoreSQL(_ mode: String, path: String, compression: Compression, pgRestore: String, wholeInput: Bool) -> ToolInvocation {
        guard let tool = compression.tool else {
            return ToolInvocation(executable: pgRestore, arguments: [mode, "--file=-", path], displayName: "pg_restore \(mode)")
        }
        // pipefail needs bash (an essential package on Debian).
        let script = wholeInput
            ? "set -o pipefail; \"$0\" -dc -- \"$1\" | \"$2\" \"$3\" --file=-" : "\"$0\" -dc -- \"$1\" 2>/dev/null | \"$2\" \"$3\" --file=-"
        return ToolInvocation(
            executable: wholeInput ? "/bin/bash" : "/bin/sh", arguments: ["-c", script, tool, path, pgRestore, mode],
            displayName: "\(tool) -dc | pg_restore \(mode)")
    }
}
