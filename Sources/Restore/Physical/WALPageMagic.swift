import Foundation

/// The major version that wrote a WAL segment, read from its first page's magic number
/// (`XLOG_PAGE_MAGIC` in PostgreSQL's `xlog_internal.h`, changed with every WAL format).
/// A base backup in a bucket is planned without downloading its tar, so its `PG_VERSION`
/// is not at hand; the archived WAL at its start says the same.
public enum WALPageMagic {
    /// Magic numbers by major version, from PostgreSQL's sources.
    static let versions: [UInt16: Int] = [0xD106: 13, 0xD10D: 14, 0xD110: 15, 0xD113: 16, 0xD116: 17, 0xD118: 18]

    /// Bytes to read from a segment's start.
    public static let headerSize = 2

    /// The major version whose WAL begins with `header`, or nil for another format (or compressed bytes).
    public static func majorVersion(header: Data) -> Int? {
        guard header.count >= headerSize else { return nil }
        // xlp_magic is stored in the server's byte order; every platform we drill on is little-endian.
        let magic = UInt16(header[header.startIndex]) | UInt16(header[header.startIndex + 1]) << 8
        return versions[magic]
    }
}
