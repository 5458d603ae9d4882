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
        let encoder = JSONEncoder.drill
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for entry in entries.sortedByKeyBytes(\.key) {
            data.append(try encoder.encode(entry))
            data.append(0x0A)
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
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
        let decoder = JSONDecoder.drill
        var pending = Data()
        var lineNumber = 0
        func take(_ line: Data) throws {
            lineNumber += 1
            guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) else { return }
            let entry: ManifestEntry
            do { entry = try decoder.decode(ManifestEntry.self, from: line) } catch {
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
            while let newline = pending.firstIndex(of: 0x0A) {
                try take(pending[pending.startIndex..<newline])
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if !pending.isEmpty { try take(pending) }
        return index
    }
}

/// A SHA-256 digest in 32 bytes.
public struct Digest32: Sendable, Equatable, Hashable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    /// Parses 64 hex digits.
    public init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 64 else { return nil }
        var words: [UInt64] = []
        for chunk in stride(from: 0, to: 64, by: 16) {
            guard let word = UInt64(String(decoding: bytes[chunk..<chunk + 16], as: UTF8.self), radix: 16) else { return nil }
            words.append(word)
        }
        self.words = (words[0], words[1], words[2], words[3])
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
