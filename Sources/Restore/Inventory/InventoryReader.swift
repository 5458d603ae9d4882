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
        var inventory = fromList(try await DumpInspector.list(path: path, compression: inspection.compression, pgRestore: pgRestore))
        let producer: ToolInvocation
        if let tool = inspection.compression.tool {
            // pipefail (bash, an essential package on Debian): a decompressor that fails fails the scan.
            producer = ToolInvocation(
                executable: "/bin/bash",
                arguments: ["-c", "set -o pipefail; \"$0\" -dc -- \"$1\" | \"$2\" --data-only --file=-", tool, path, pgRestore],
                displayName: "\(tool) -dc | pg_restore --data-only")
        } else {
            producer = ToolInvocation(executable: pgRestore, arguments: ["--data-only", "--file=-", path], displayName: "pg_restore --data-only")
        }
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
