import DrillSupport
import Foundation

/// One line of a manifest: what an object was when it was recorded.
public struct ManifestEntry: Codable, Sendable, Equatable {
    public var key: String
    public var versionID: String?
    public var size: Int64
    /// Lowercase hex SHA-256 of the bytes: the ground truth a verification compares with.
    public var sha256: String
    public var etag: String?
    public var lastModified: Date

    enum CodingKeys: String, CodingKey {
        case key, versionID = "version_id", size, sha256, etag, lastModified = "last_modified"
    }

    /// Creates an entry.
    public init(key: String, versionID: String?, size: Int64, sha256: String, etag: String?, lastModified: Date) {
        self.key = key
        self.versionID = versionID
        self.size = size
        self.sha256 = sha256
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// Writes a manifest as JSON lines, one object per line, in key order.
public enum ManifestWriter {
    /// Writes `entries` (sorted here by key, UTF-8 byte order) to `path` atomically.
    public static func write(_ entries: [ManifestEntry], to path: String) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * 160)
        for entry in entries.sortedByKeyBytes(\.key) {
            entry.appendJSONLine(to: &bytes)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension ManifestEntry {
    /// The entry as one line of JSON with sorted keys, as `JSONEncoder` with `.sortedKeys` and
    /// `.withoutEscapingSlashes` writes it, built directly: the encoder cost more per line than
    /// hashing a small object.
    func appendJSONLine(to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        if let etag {
            Self.appendString("etag", to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            Self.appendString(etag, to: &bytes)
            bytes.append(UInt8(ascii: ","))
        }
        Self.appendString("key", to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendString(key, to: &bytes)
        bytes += Array(",\"last_modified\":\"".utf8)
        TimestampText.appendISO(lastModified, to: &bytes)
        bytes += Array("\",\"sha256\":".utf8)
        Self.appendString(sha256, to: &bytes)
        bytes += Array(",\"size\":\(size)".utf8)
        if let versionID {
            bytes += Array(",\"version_id\":".utf8)
            Self.appendString(versionID, to: &bytes)
        }
        bytes += [UInt8(ascii: "}"), 0x0A]
    }

    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0..<0x20: bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A manifest read into a compact index: per key, size and the 32-byte digest (not its hex),
/// so millions of entries stay small.
public struct ManifestIndex: Sendable {
    /// What the index keeps of an entry.
    public struct Record: Sendable, Equatable {
        public var size: Int64
        public var digest: Digest32
        public var versionID: String?
    }

    public private(set) var records: [String: Record] = [:]

    /// Reads the manifest at `path`; a malformed line is an error naming its line number.
    public static func read(path: String, shard: Shard? = nil) throws -> ManifestIndex {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ObjectStoreError(message: "the manifest \(path) cannot be read", unreadable: false)
        }
        defer { try? handle.close() }
        var index = ManifestIndex()
        // The index needs no time: `last_modified` is read as text and only its form checked,
        // which costs a fraction of a Date decode (the listing, not the manifest, says when).
        let decoder = JSONDecoder()
        var pending = Data()
        var lineNumber = 0
        func take(_ line: Data) throws {
            lineNumber += 1
            guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) else { return }
            let entry: IndexedLine
            do {
                entry = try line.withUnsafeBytes { ManifestLineParser.parse($0) } ?? decoder.decode(IndexedLine.self, from: line)
                guard IndexedLine.looksLikeATime(entry.lastModified) else { throw ObjectStoreError(message: "", unreadable: false) }
            } catch {
                throw ObjectStoreError(message: "\(path):\(lineNumber): not a manifest entry (key, size, sha256, last_modified)", unreadable: false)
            }
            guard let digest = Digest32(hex: entry.sha256) else {
                throw ObjectStoreError(message: "\(path):\(lineNumber): sha256 of \(entry.key) is not 64 hex digits", unreadable: false)
            }
            if let shard, !shard.contains(entry.key) { return }
            index.records[entry.key] = Record(size: entry.size, digest: digest, versionID: entry.versionID)
        }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(chunk)
            // Lines are taken from a moving start and the rest kept once per chunk: removing
            // each line from the front moved the whole remainder per line.
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try take(pending[start..<newline])
                start = newline + 1
            }
            pending = Data(pending[start...])
        }
        if !pending.isEmpty { try take(pending) }
        return index
    }
}

/// What the index reads of a manifest line.
struct IndexedLine: Decodable {
    var key: String
    var versionID: String?
    var size: Int64
    var sha256: String
    var lastModified: String

    enum CodingKeys: String, CodingKey {
        case key, versionID = "version_id", size, sha256, lastModified = "last_modified"
    }

    /// `2026-11-24T16:17:36.728761Z` as written, or any form `TimestampText` reads.
    static func looksLikeATime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        if bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes.last == UInt8(ascii: "Z"),
            bytes.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || "-T:.Z".utf8.contains($0) })
        {
            return true
        }
        return TimestampText.parse(text) != nil
    }
}

/// A SHA-256 digest in 32 bytes.
public struct Digest32: Sendable, Equatable, Hashable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    /// Parses 64 hex digits.
    public init?(hex: String) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0
        for byte in hex.utf8 {
            let nibble: UInt64
            switch byte {
            case 0x30...0x39: nibble = UInt64(byte - 0x30)
            case 0x61...0x66: nibble = UInt64(byte - 0x61 + 10)
            case 0x41...0x46: nibble = UInt64(byte - 0x41 + 10)
            default: return nil
            }
            guard count < 64 else { return nil }
            switch count / 16 {
            case 0: words.0 = words.0 << 4 | nibble
            case 1: words.1 = words.1 << 4 | nibble
            case 2: words.2 = words.2 << 4 | nibble
            default: words.3 = words.3 << 4 | nibble
            }
            count += 1
        }
        guard count == 64 else { return nil }
        self.words = words
    }

    /// Lowercase hex.
    public var hex: String {
        [words.0, words.1, words.2, words.3].map { String($0, radix: 16).leftPadded(to: 16) }.joined()
    }

    public static func == (left: Digest32, right: Digest32) -> Bool { left.words == right.words }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }
}

/// One of `count` stable partitions of the keys (`--shard 2/8`), chosen by a hash of the key,
/// so machines can split a large store and their reports be merged.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// Parses `i/n` with 1 ≤ i ≤ n.
    public init?(_ text: String) {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else { return nil }
        index = parts[0]
        count = parts[1]
    }

    /// True when `key` belongs to this shard.
    public func contains(_ key: String) -> Bool {
        var digest = StreamingDigest()
        digest.update(Data(key.utf8))
        let prefix = UInt64(digest.finalizeHex().prefix(16), radix: 16) ?? 0
        return Int(prefix % UInt64(count)) == index - 1
    }

    public var description: String { "\(index)/\(count)" }
}
