import DrillSupport
import Foundation

/// What the header of a pg_dump artifact says.
public struct DumpHeader: Sendable, Equatable {
    /// "Dumped from database version".
    public var serverVersion: String?
    /// The source database name (custom/tar/directory archives record it).
    public var database: String?
    /// "Archive created at".
    public var createdAt: Date?
    /// A plain `pg_dump --create` dump: the database its `CREATE DATABASE` makes (and `\connect`s to).
    public var createsDatabase: String?
    /// Number of table-of-contents entries (for restore progress), when known.
    public var tocEntries: Int?

    /// Creates a header.
    public init(serverVersion: String? = nil, database: String? = nil, createdAt: Date? = nil, tocEntries: Int? = nil) {
        self.serverVersion = serverVersion
        self.database = database
        self.createdAt = createdAt
        self.tocEntries = tocEntries
    }
}

/// An artifact's outer compression, dump format and header.
public struct ArtifactInspection: Sendable {
    /// Outer compression.
    public var compression: Compression
    /// pg_dump format.
    public var format: DumpFormat
    /// Header fields.
    public var header: DumpHeader
    /// Archives: what their table of contents lists (read with the header, by the same `pg_restore --list`).
    public var contents: BackupInventory?

    /// Creates an inspection result.
    public init(compression: Compression, format: DumpFormat, header: DumpHeader, contents: BackupInventory? = nil) {
        self.compression = compression
        self.format = format
        self.header = header
        self.contents = contents
    }
}

/// Looks inside an artifact without restoring it: magic bytes, format, `pg_restore -l` header.
public enum DumpInspector {
    /// Inspects the artifact at `path`; `pgRestore` reads archive headers (any recent version reads older archives).
    public static func inspect(path: String, pgRestore: String) async throws(RestoreError) -> ArtifactInspection {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RestoreError(.failure, step: "fetch", "the backup artifact \(path) does not exist")
        }
        if isDirectory.boolValue {
            guard FileManager.default.fileExists(atPath: path + "/toc.dat") else {
                throw RestoreError(
                    .failure, step: "format",
                    "\(path) is a directory without toc.dat: not a pg_dump directory-format archive")
            }
            let list = try await list(path: path, compression: .none, pgRestore: pgRestore)
            return ArtifactInspection(compression: .none, format: .directory, header: parseTOCHeader(list), contents: InventoryReader.fromList(list))
        }
        let magic = try readHead(path: path, count: 8)
        let compression = Compression.detect(magic: magic)
        let head = try await decompressedHead(path: path, compression: compression)
        guard let format = DumpFormat.detect(head: head) else {
            throw RestoreError(
                .failure, step: "format",
                "\(path) is not a pg_dump archive (custom, tar or plain SQL)\(compression == .none ? "" : " inside its \(compression.rawValue) compression"): its first bytes match none of them")
        }
        if format == .plain {
            return ArtifactInspection(compression: compression, format: format, header: parsePlainHeader(String(decoding: head, as: UTF8.self)))
        }
        if format == .cluster {
            return ArtifactInspection(compression: compression, format: format, header: try await ClusterDumpHeader.read(path: path, compression: compression))
        }
        let list = try await list(path: path, compression: compression, pgRestore: pgRestore)
        return ArtifactInspection(compression: compression, format: format, header: parseTOCHeader(list), contents: InventoryReader.fromList(list))
    }

    /// The header of a plain SQL dump known to be one (a sidecar said so), read from its first 16 KiB.
    public static func plainHeader(path: String, compression: Compression) async throws(RestoreError) -> DumpHeader {
        let head = try await decompressedHead(path: path, compression: compression)
        return parsePlainHeader(String(decoding: head, as: UTF8.self))
    }

    static func readHead(path: String, count: Int) throws(RestoreError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RestoreError(.error, step: "fetch", "cannot open \(path) for reading: \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        do {
            return Array(try handle.read(upToCount: count) ?? Data())
        } catch {
            throw RestoreError(.error, step: "fetch", "cannot read \(path): \(YAMLValue.describe(error))")
        }
    }

    /// The first 16 KiB after decompression, via `TOOL -dc FILE | head -c`.
    static func decompressedHead(path: String, compression: Compression) async throws(RestoreError) -> [UInt8] {
        guard let tool = compression.tool else { return try readHead(path: path, count: 16384) }
        do {
            let result = try await ProcessRunner.run(
                ToolInvocation(
                    executable: "/bin/sh", arguments: ["-c", "\"$0\" -dc -- \"$1\" 2>/dev/null | head -c 16384", tool, path],
                    displayName: "\(tool) -dc"))
            return Array(result.standardOutput.utf8)
        } catch {
            throw RestoreError(.error, step: "decompress", "cannot run \(tool) to read \(path): \(error)")
        }
    }

    /// What `pg_restore --list` prints for the archive (through its decompressor when compressed).
    static func list(path: String, compression: Compression, pgRestore: String) async throws(RestoreError) -> String {
        // The whole table of contents is read: its head is what the inventory is made of.
        var list = ToolInvocation(executable: pgRestore, arguments: ["--list"] + (compression == .none ? [path] : []), displayName: "pg_restore --list")
        list.captureLimit = 256 << 20
        let result: ToolResult
        do {
            if let tool = compression.tool {
                result = try await ProcessRunner.runPipeline(
                    ToolInvocation(executable: tool, arguments: ["-dc", "--", path], displayName: "\(tool) -dc"), into: list
                ).consumer
            } else {
                result = try await ProcessRunner.run(list)
            }
        } catch {
            throw RestoreError(.error, step: "format", "cannot run pg_restore --list on \(path): \(error)")
        }
        guard result.succeeded else {
            throw RestoreError(
                .failure, step: "format",
                "pg_restore cannot read the archive's table of contents: \(firstErrorLine(result.standardError) ?? result.terminationDescription). The archive is damaged or incomplete.",
                detail: result.standardError)
        }
        guard !result.truncated else {
            throw RestoreError(.error, step: "format", "the archive's table of contents is longer than 256 MiB: restore-drill cannot read it whole")
        }
        return result.standardOutput
    }

    /// Parses the `;`-comment header of `pg_restore --list`.
    public static func parseTOCHeader(_ text: String) -> DumpHeader {
        var header = DumpHeader()
        var entries = 0
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if !line.hasPrefix(";") {
                if !line.isEmpty { entries += 1 }
                continue
            }
            let body = line.dropFirst().trimmingCharacters(in: .whitespaces)
            if let value = body.value(after: "Archive created at ") { header.createdAt = parseDumpTime(value) }
            if let value = body.value(after: "dbname: ") { header.database = value }
            if let value = body.value(after: "Dumped from database version: ") { header.serverVersion = versionNumber(value) }
        }
        header.tocEntries = entries
        return header
    }

    /// Parses the `--` comment header of a plain SQL dump.
    public static func parsePlainHeader(_ text: String) -> DumpHeader {
        var header = DumpHeader()
        for raw in text.split(separator: "\n").prefix(60) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if let value = line.value(after: "-- Dumped from database version ") { header.serverVersion = versionNumber(value) }
            if let value = line.value(after: "-- Started on ") { header.createdAt = parseDumpTime(value) }
        }
        // pg_dump --create: "CREATE DATABASE name WITH ..." comes before any object.
        for raw in text.split(separator: "\n") where raw.hasPrefix("CREATE DATABASE ") {
            header.createsDatabase = RoleStatementRules.identifier(at: raw.dropFirst("CREATE DATABASE ".count))?.name
            break
        }
        return header
    }

    static func versionNumber(_ text: String) -> String? {
        guard let range = text.range(of: #"^\d+(\.\d+)*"#, options: .regularExpression) else { return nil }
        return String(text[range])
    }

    static func parseDumpTime(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for format in ["yyyy-MM-dd HH:mm:ss zzz", "yyyy-MM-dd HH:mm:ss"] {
            formatter.dateFormat = format
            formatter.timeZone = format.hasSuffix("zzz") ? nil : TimeZone.current
            if let date = formatter.date(from: text.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }

    /// The first line of tool output that reports an error.
    public static func firstErrorLine(_ text: String) -> String? {
        text.split(separator: "\n").map(String.init).first { $0.contains("error:") || $0.contains("ERROR:") || $0.contains("FATAL:") }
    }
}

extension String {
    fileprivate func value(after prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) : nil
    }
}
