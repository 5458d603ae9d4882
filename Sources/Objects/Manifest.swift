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
        let sorted = entries.sortedByKeyBytes(\.key)
        try write(count: sorted.count, entry: { sorted[$0] }, to: path)
    }

    /// Writes `count` entries, `entry(0)` first (already in key order), to `path` atomically.
    public static func write(count: Int, entry: (Int) -> ManifestEntry, to path: String) throws {
        let stream = try ManifestStream(path: path)
        do {
            for position in 0..<count { try stream.append(entry(position)) }
            try stream.commit()
        } catch {
            stream.abandon()
            throw error
        }
    }
}

/// A manifest written as it is made: lines go a megabyte at a time into a file beside `path`
/// that replaces it on `commit`, so a reader never sees half a manifest, a failed snapshot
/// leaves none, and a million lines are never held at once.
public final class ManifestStream {
    private let path: String
    private let partial: String
    private let handle: FileHandle
    private var bytes: [UInt8] = []
    private var finished = false

    /// Starts a manifest for `path` (its folder must exist and be writable).
    public init(path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        partial = (folder.isEmpty ? "." : folder) + "/.\((path as NSString).lastPathComponent).\(getpid()).partial"
        self.path = path
        guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
            throw ObjectStoreError(message: "cannot write the manifest beside \(path): \(String(cString: strerror(errno)))", unreadable: false)
        }
        self.handle = handle
        bytes.reserveCapacity(1 << 20 + 4096)
    }

    /// Appends one line (entries come in key order).
    public func append(_ entry: ManifestEntry) throws {
        entry.appendJSONLine(to: &bytes)
        if bytes.count >= 1 << 20 {
            try handle.write(contentsOf: bytes)
            bytes.removeAll(keepingCapacity: true)
        }
    }

    /// Writes what is left, flushes it to disk and puts the manifest in place.
    public func commit() throws {
        try handle.write(contentsOf: bytes)
        bytes.removeAll()
        try handle.synchronize()
        try handle.close()
        finished = true
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw ObjectStoreError(message: "cannot write the manifest \(path): \(reason)", unreadable: false)
        }
    }

    /// Drops the partial file (a snapshot that failed writes no manifest).
    public func abandon() {
        if !finished { try? handle.close() }
        finished = true
        unlink(partial)
    }

    deinit { if !finished { abandon() } }
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
        bytes.append(contentsOf: ",\"last_modified\":\"".utf8)
        TimestampText.appendISO(lastModified, to: &bytes)
        bytes.append(contentsOf: "\",\"sha256\":".utf8)
        Self.appendString(sha256, to: &bytes)
        bytes.append(contentsOf: ",\"size\":".utf8)
        bytes.append(contentsOf: String(size).utf8)
        if let versionID {
            bytes.append(contentsOf: ",\"version_id\":".utf8)
            Self.appendString(versionID, to: &bytes)
        }
        bytes += [UInt8(ascii: "}"), 0x0A]
    }

    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        // Most texts need no escape: copied at once.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
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

/// A manifest read into a compact index sorted by key: the keys and version ids in one byte
/// buffer, sizes and 32-byte digests (not their hex) in columns, about 50 bytes an entry
/// besides its key, so a million entries stay small. Compared with a listing by walking both
/// in key order (a merge join), never through a dictionary of keys.
public struct ManifestIndex: Sendable {
    /// What the index keeps of an entry.
    public struct Record: Sendable, Equatable {
        public var size: Int64
        public var digest: Digest32
        public var versionID: String?
    }

    /// Keys (text 0) and version ids (text 1), in key order.
    private(set) var keys = PackedTexts(width: 2)
    private var sizes: [Int64] = []
    private var digests: [Digest32] = []

    /// Entries in the index.
    public var count: Int { sizes.count }

    /// The key of entry `entry` (0 ..< count, in key order).
    public func key(at entry: Int) -> String { keys.text(entry)! }

    /// Entry `entry`.
    public func record(at entry: Int) -> Record { Record(size: sizes[entry], digest: digests[entry], versionID: keys.text(entry, 1)) }

    /// The entry for `key`, by binary search.
    public func record(forKey key: String) -> Record? { keys.row(ofKey: key).map(record(at:)) }

    /// Reads the manifest at `path`; a malformed line is an error naming its line number. A
    /// manifest out of key order (edited by hand) is sorted; a key recorded twice keeps its
    /// last line, as a reader of the file top to bottom would.
    public static func read(path: String, shard: Shard? = nil) throws -> ManifestIndex {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ObjectStoreError(message: "the manifest \(path) cannot be read", unreadable: false)
        }
        defer { try? handle.close() }
        var reader = Reader(path: path, shard: shard)
        var pending: [UInt8] = []
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        var reserved = false
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(contentsOf: chunk)
            if !reserved, let fileSize {
                // The first megabyte tells the line length: room for the whole file is made once.
                reserved = true
                reader.index.reserve(forFileOf: fileSize, sample: pending, shard: shard)
            }
            // Lines are taken from a moving start and the rest kept once per chunk: removing
            // each line from the front moved the whole remainder per line.
            let consumed = try pending.withUnsafeBytes { bytes in
                var start = 0
                while start < bytes.count, let found = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) {
                    let newline = UnsafeRawPointer(found) - bytes.baseAddress!
                    try reader.take(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
                    start = newline + 1
                }
                return start
            }
            pending.removeFirst(consumed)
        }
        if !pending.isEmpty { try pending.withUnsafeBytes { try reader.take($0) } }
        var index = reader.index
        if !index.keys.keysAscend { index.sortKeepingLastOfEachKey() }
        return index
    }

    /// Turns lines into entries (a struct, not a closure over locals, so the compiler checks
    /// its accesses once instead of at every line).
    private struct Reader {
        let path: String
        let shard: Shard?
        var index = ManifestIndex()
        var lineNumber = 0
        // The index needs no time: `last_modified` is read as text and only its form checked,
        // which costs a fraction of a Date decode (the listing, not the manifest, says when).
        let decoder = JSONDecoder()

        init(path: String, shard: Shard?) {
            self.path = path
            self.shard = shard
        }

        mutating func take(_ line: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) else { return }
            let entry: IndexedLine
            do {
                entry = try ManifestLineParser.parse(line) ?? decoder.decode(IndexedLine.self, from: Data(line))
                guard IndexedLine.looksLikeATime(entry.lastModified) else { throw ObjectStoreError(message: "", unreadable: false) }
            } catch {
                throw ObjectStoreError(message: "\(path):\(lineNumber): not a manifest entry (key, size, sha256, last_modified)", unreadable: false)
            }
            guard let digest = Digest32(hex: entry.sha256) else {
                throw ObjectStoreError(message: "\(path):\(lineNumber): sha256 of \(entry.key) is not 64 hex digits", unreadable: false)
            }
            if let shard, !shard.contains(entry.key) { return }
            try index.keys.append([entry.key, entry.versionID])
            index.sizes.append(entry.size)
            index.digests.append(digest)
        }
    }

    /// Makes room for the entries of a manifest file of `fileSize` bytes, estimated from
    /// `sample` (its first bytes): lines a megabyte holds, keys about a third of a line.
    mutating func reserve(forFileOf fileSize: Int, sample: [UInt8], shard: Shard?) {
        let lines = sample.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        guard lines > 0 else { return }
        let estimate = Int(Double(fileSize) / Double(sample.count) * Double(lines) * 1.02 / Double(shard?.count ?? 1)) + 16
        let keyBytes = sample.count / lines / 3
        keys.reserve(rows: estimate, bytes: estimate * keyBytes)
        sizes.reserveCapacity(estimate)
        digests.reserveCapacity(estimate)
    }

    private mutating func sortKeepingLastOfEachKey() {
        let order = keys.keyOrder()
        var rows: [Int] = []
        rows.reserveCapacity(order.count)
        for row in order {
            if let last = rows.last, keys.compareKey(last, with: row, in: keys) == 0 {
                rows[rows.count - 1] = row
            } else {
                rows.append(row)
            }
        }
        keys = keys.selecting(rows)
        sizes = sizes.selecting(rows)
        digests = digests.selecting(rows)
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

    /// All zero bits (a placeholder before a digest is known).
    public static let zero = Digest32(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// The digest `sha` finishes with (its 32 bytes, read as four big-endian words).
    init(_ sha: consuming StreamingDigest) {
        let bytes = sha.finalize32()
        words = (UInt64(bigEndian: bytes.0), UInt64(bigEndian: bytes.1), UInt64(bigEndian: bytes.2), UInt64(bigEndian: bytes.3))
    }

    /// Lowercase hex.
    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { text in
            let digits: StaticString = "0123456789abcdef"
            for (index, word) in [words.0, words.1, words.2, words.3].enumerated() {
                for nibble in 0..<16 {
                    text[index * 16 + nibble] = digits.utf8Start[Int((word >> (60 - 4 * UInt64(nibble))) & 0xF)]
                }
            }
            return 64
        }
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
        var key = key
        key.withUTF8 { digest.update(UnsafeRawBufferPointer($0)) }
        // The first 8 bytes of the SHA-256, big-endian: the first 16 hex digits, as before.
        let prefix = UInt64(bigEndian: digest.finalize32().0)
        return Int(prefix % UInt64(count)) == index - 1
    }

    public var description: String { "\(index)/\(count)" }
}
