import Foundation

/// The objects a store held at a moment: for each key, the newest version not after the
/// point; keys whose newest version by then is a delete marker are absent. Without history,
/// the current objects (and `historyKnown` is false, which the report says).
public struct ObjectsAsOf: Sendable {
    /// Present objects, sorted by key (UTF-8 byte order), held compactly.
    public var objects: ObjectListing
    /// False when the store keeps no versions: the listing is "now", whatever the point.
    public var historyKnown: Bool
    /// Keys whose chosen version was written within a second of the point: S3 lists times to
    /// the second, so such a version may in fact be just after it.
    public var closeToThePoint: [String]
    /// The shard the listing was limited to while it was made, if any.
    public var shard: Shard?

    /// Lists `store` and resolves every key at `point` (now when nil). Stores list in key
    /// order, so a key's versions arrive together and only one candidate per key is kept while
    /// the pages stream by: memory follows the number of keys, not versions, and no dictionary
    /// of keys is built. A store that lists out of order is sorted afterwards, never trusted.
    /// With `shard`, only that shard's keys are kept, as they stream by (a shard run keeps its
    /// share of the keys, not all of them).
    public static func list(
        _ store: any ObjectStore, at point: Date?, shard: Shard? = nil, onPage: (@Sendable (Int) -> Void)? = nil
    ) async throws -> ObjectsAsOf {
        let versioned = try await store.keepsVersions()
        var chosen = ObjectListing()
        var inOrder = true
        var seen = 0
        try await store.listVersions { page in
            seen += page.count
            onPage?(seen)
            // Within a page servers differ (moto lists all versions, then all markers): the
            // page is ordered by key first, keeping the server's order within a key.
            var candidates = page
            if let point, versioned { candidates.removeAll { $0.lastModified > point } }
            if let shard { candidates.removeAll { !shard.contains($0.key) } }
            for version in candidates.sortedByKeyBytes(\.key) {
                if try !Self.resolve(version, into: &chosen) { inOrder = false }
            }
        }
        if !inOrder { chosen = try resolvedAfterSorting(chosen) }
        chosen.removeDeleteMarkers()
        var result = ObjectsAsOf(objects: chosen, historyKnown: versioned, closeToThePoint: [], shard: shard)
        if let point, versioned {
            for position in chosen.indices where point.timeIntervalSince(Date(timeIntervalSince1970: chosen.modifiedSeconds(at: position))) < 1 {
                result.closeToThePoint.append(chosen.key(at: position))
            }
        }
        return result
    }

    /// Whether `version` is the one to keep over `current` (same key): the newer, then the
    /// one the store calls latest, then the one listed first. Servers differ in how they order
    /// versions and delete markers (AWS interleaves them newest first).
    static func replaces(_ version: ObjectVersion, _ current: ObjectVersion) -> Bool {
        version.lastModified > current.lastModified || (version.lastModified == current.lastModified && version.isLatest && !current.isLatest)
    }

    /// Adds `version` to `listing`, whose last object is the candidate for its key so far: a
    /// version of that key replaces it when it is the one to keep, another key is appended.
    /// Returns false when that other key sorts before the last one (the store is out of order).
    static func resolve(_ version: ObjectVersion, into listing: inout ObjectListing) throws -> Bool {
        if listing.lastHasKey(version.key) {
            if replaces(version, listing[listing.count - 1]) {
                listing.removeLast()
                try listing.append(version)
            }
            return true
        }
        let ordered = listing.lastKeyPrecedes(version.key)
        try listing.append(version)
        return ordered
    }

    /// A listing that came out of key order: sorted (stable), then one candidate per key.
    private static func resolvedAfterSorting(_ listing: ObjectListing) throws -> ObjectListing {
        var sorted = listing
        sorted.sortByKey()
        var result = ObjectListing()
        for version in sorted { _ = try resolve(version, into: &result) }
        return result
    }
}
