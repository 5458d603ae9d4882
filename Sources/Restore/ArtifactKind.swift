import DrillSupport
import Foundation

/// How an artifact's bytes are compressed on the outside (pg_dump's own internal compression is not this).
public enum Compression: String, Sendable, Codable {
    case none, gzip, lz4, zstd

    /// The program that decompresses to standard output with `-dc`.
    public var tool: String? {
        switch self {
        case .none: return nil
        case .gzip: return "gzip"
        case .lz4: return "lz4"
        case .zstd: return "zstd"
        }
    }

    /// Detects compression from the first bytes of a file.
    public static func detect(magic: [UInt8]) -> Compression {
        if magic.starts(with: [0x1f, 0x8b]) { return .gzip }
        if magic.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if magic.starts(with: [0x04, 0x22, 0x4d, 0x18]) { return .lz4 }
        return .none
    }
}

/// pg_dump's output formats.
public enum DumpFormat: String, Sendable, Codable {
    case custom, directory, tar, plain
    /// `pg_dumpall`: plain SQL of a whole cluster (roles, tablespaces, every database).
    case cluster = "pg_dumpall"

    /// Detects the format from the (decompressed) first bytes; nil when it is none of them.
    public static func detect(head: [UInt8]) -> DumpFormat? {
        if head.starts(with: Array("PGDMP".utf8)) { return .custom }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return .tar }
        let text = String(decoding: head.prefix(8192), as: UTF8.self)
        if text.contains("PostgreSQL database cluster dump") { return .cluster }
        if text.contains("PostgreSQL database dump") || text.contains("SET statement_timeout") { return .plain }
        return nil
    }

    /// True when `pg_restore` restores it (everything but plain SQL, which `psql` runs).
    public var usesPgRestore: Bool { self != .plain && self != .cluster }

    /// True for plain SQL, which psql runs (a pg_dump's or a pg_dumpall's).
    public var isPlainSQL: Bool { !usesPgRestore }

    /// True when `pg_restore --jobs` can parallelise it (custom and directory archives).
    public var supportsParallelRestore: Bool { self == .custom || self == .directory }
}
