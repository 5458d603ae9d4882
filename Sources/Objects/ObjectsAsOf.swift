import Foundation

/// The objects a store held at a moment: for each key, the newest version not after the
/// point; keys whose newest version by then is a delete marker are absent. Without history,
/// the current objects (and `historyKnown` is false, which the report says).
public struct ObjectsAsOf: Sendable {
    /// Present objects, sorted by key (UTF-8 byte order).
    public var objects: [ObjectVersion]
    /// False when the store keeps no versions: the listing is "now", whatever the point.
    public var historyKnown: Bool
    /// Keys whose chosen version was written within a second of the point: S3 lists times to
    /// the second, so such a version may in fact be just after it.
    public var closeToThePoint: [String]

    /// Lists `store` and resolves every key at `point` (now when nil). Only one candidate per
    /// key is kept while the pages stream by, so memory follows the number of keys, not versions.
    public static func list(_ store: any ObjectStore, at point: Date?, onPage: (@Sendable (Int) -> Void)? = nil) async throws -> ObjectsAsOf {
        let versioned = try await store.keepsVersions()
        var chosen: [String: ObjectVersion] = [:]
        var seen = 0
        try await store.listVersions { page in
            seen += page.count
            onPage?(seen)
            for version in page {
                if let point, versioned, version.lastModified > point { continue }
                guard let current = chosen[version.key] else {
                    chosen[version.key] = version
                    continue
                }
                // Servers differ in how they order versions and delete markers (AWS interleaves
                // them newest first, moto lists all versions, then all markers): compare times,
                // then prefer the one the store calls latest, then the one listed first.
                if version.lastModified > current.lastModified || (version.lastModified == current.lastModified && version.isLatest && !current.isLatest) {
                    chosen[version.key] = version
                }
            }
        }
        var result = ObjectsAsOf(objects: [], historyKnown: versioned, closeToThePoint: [])
        for version in chosen.values where !version.isDeleteMarker {
            result.objects.append(version)
            if let point, versioned, point.timeIntervalSince(version.lastModified) < 1 { result.closeToThePoint.append(version.key) }
        }
        result.objects = result.objects.sortedByKeyBytes(\.key)
        result.closeToThePoint.sort()
        return result
    }
}
