import Foundation

/// What the planner needs from a `pg_dumpall` file before restoring it. The cluster dump's own
/// header carries no version: the first database section's pg_dump header does, after the
/// roles (which can be long), so the file is read up to there (at most 64 MiB).
enum ClusterDumpHeader {
    static let scanLimit = 64 << 20

    static func read(path: String, compression: Compression) async throws(RestoreError) -> DumpHeader {
        var header = DumpHeader()
        do {
            let source = try await DumpSource.open(path: path, compression: compression)
            var scanned = 0
            var pending = ""
            var sawDatabase = false
            reading: while scanned < scanLimit {
                let chunk = try await source.read()
                if chunk.isEmpty { break }
                scanned += chunk.count
                pending += String(decoding: chunk, as: UTF8.self)
                var lines = pending.split(separator: "\n", omittingEmptySubsequences: false)
                pending = String(lines.removeLast())
                for line in lines {
                    if line.hasPrefix("-- Database \"") || line.hasPrefix("\\connect ") { sawDatabase = true }
                    if line.hasPrefix("-- Dumped from database version ") {
                        header.serverVersion = DumpInspector.versionNumber(String(line.dropFirst("-- Dumped from database version ".count)))
                        break reading
                    }
                    if line.hasPrefix("-- Started on "), header.createdAt == nil {
                        header.createdAt = DumpInspector.parseDumpTime(String(line.dropFirst("-- Started on ".count)))
                    }
                }
            }
            _ = await source.close(stoppedEarly: true)
            if header.serverVersion == nil && !sawDatabase && scanned < scanLimit {
                throw RestoreError(
                    .failure, step: "format",
                    "\(path) is a pg_dumpall file without databases (pg_dumpall --roles-only or --globals-only): give it as backup.roles beside the database's dump")
            }
        } catch let error as RestoreError {
            throw error
        } catch {
            throw RestoreError(.error, step: "format", "cannot read \(path): \(error)")
        }
        return header
    }
}
