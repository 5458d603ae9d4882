import Foundation

/// The objects of a listing, held compactly so a store of millions of keys fits in memory:
/// the key, version id and ETag of every object in one byte buffer, the rest in columns
/// (about 27 bytes an object besides its texts, against some 200 for an array of
/// `ObjectVersion` and its strings). An element is made when it is read.
public struct ObjectListing: RandomAccessCollection, Sendable {
    private var texts = PackedTexts(width: 3)
    private var sizes: [Int64] = []
    private var times: [Double] = []
    /// Bit 0: a delete marker; bit 1: the store's latest version.
    private var flags: [UInt8] = []

    /// An empty listing.
    public init() {}

    /// A listing of `versions`, sorted by key (equal keys keep their order).
    public init(_ versions: some Sequence<ObjectVersion>) throws {
        for version in versions { try append(version) }
        sortByKey()
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { sizes.count }

    public subscript(position: Int) -> ObjectVersion {
        ObjectVersion(
            key: texts.text(position)!, versionID: texts.text(position, 1), size: sizes[position], etag: texts.text(position, 2),
            lastModified: Date(timeIntervalSince1970: times[position]), isDeleteMarker: flags[position] & 1 != 0,
            isLatest: flags[position] & 2 != 0)
    }

    /// The key of the object at `position`, without making the rest of it.
    public func key(at position: Int) -> String { texts.text(position)! }

    /// The size of the object at `position`.
    public func size(at position: Int) -> Int64 { sizes[position] }

    /// When the object at `position` was written, in seconds since 1970.
    public func modifiedSeconds(at position: Int) -> Double { times[position] }

    /// Bytes of all objects.
    public var totalSize: Int64 { sizes.reduce(0, +) }

    /// Appends `version` (a name of more than 65,535 bytes is refused). Whoever appends keeps
    /// the listing in key order (or sorts it), which lookups rely on.
    mutating func append(_ version: ObjectVersion) throws {
        try texts.append([version.key, version.versionID, version.etag])
        sizes.append(version.size)
        times.append(version.lastModified.timeIntervalSince1970)
        flags.append((version.isDeleteMarker ? 1 : 0) | (version.isLatest ? 2 : 0))
    }

    /// Removes the last object.
    mutating func removeLast() {
        texts.removeLast()
        sizes.removeLast()
        times.removeLast()
        flags.removeLast()
    }

    /// Whether the last object has the key `key`.
    func lastHasKey(_ key: String) -> Bool { !isEmpty && texts.compareKey(count - 1, key) == 0 }

    /// Whether `key` sorts after the last object's key (or the listing is empty).
    func lastKeyPrecedes(_ key: String) -> Bool { isEmpty || texts.compareKey(count - 1, key) < 0 }

    /// Keeps only the objects at `rows`, in that order.
    mutating func select(_ rows: [Int]) {
        texts = texts.selecting(rows)
        sizes = sizes.selecting(rows)
        times = times.selecting(rows)
        flags = flags.selecting(rows)
    }

    /// Keeps the objects of `shard`.
    public mutating func keep(_ shard: Shard) {
        let rows = indices.filter { shard.contains(key(at: $0)) }
        if rows.count < count { select(rows) }
    }

    /// Drops delete markers (a key deleted by the point is absent from it).
    mutating func removeDeleteMarkers() {
        let rows = indices.filter { flags[$0] & 1 == 0 }
        if rows.count < count { select(rows) }
    }

    /// The objects sorted by key (UTF-8 byte order); equal keys keep their order.
    mutating func sortByKey() {
        if !texts.keysAscend { select(texts.keyOrder()) }
    }

    /// The position of `key`, found by binary search (the listing is sorted by key).
    public func position(ofKey key: String) -> Int? { texts.row(ofKey: key) }

    /// Compares the key at `position` with entry `entry` of `manifest`: negative, zero or positive.
    func compareKey(_ position: Int, withEntry entry: Int, of manifest: ManifestIndex) -> Int {
        texts.compareKey(position, with: entry, in: manifest.keys)
    }

    /// A view of the objects at `rows` (in that order), for reading some of them.
    public func rows(_ rows: [Int32]) -> Rows { Rows(listing: self, rows: rows) }

    /// Some objects of a listing, by position.
    public struct Rows: RandomAccessCollection, Sendable {
        let listing: ObjectListing
        /// The positions in the listing.
        public let rows: [Int32]
        public var startIndex: Int { 0 }
        public var endIndex: Int { rows.count }
        public subscript(position: Int) -> ObjectVersion { listing[Int(rows[position])] }
    }
}
