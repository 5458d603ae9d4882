import Foundation

/// The parsers of the objects layer that read untrusted input: S3 XML answers, manifest
/// lines, shard specs, catalog key templates and store URLs. For the fuzz target.
public enum ObjectsFuzzing {
    /// Runs each parser over `data`; none may crash.
    public static func exercise(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        if let root = XMLNode.parse(data) { _ = root.all("Version").count + (root.value("NextKeyMarker")?.count ?? 0) }
        _ = try? JSONDecoder().decode(ManifestEntry.self, from: data)
        // The fast manifest reader must agree with JSONDecoder whenever it answers.
        if let fast = data.withUnsafeBytes({ ManifestLineParser.parse($0) }), let slow = try? JSONDecoder().decode(IndexedLine.self, from: data) {
            precondition(fast.key == slow.key && fast.size == slow.size && fast.sha256 == slow.sha256 && fast.versionID == slow.versionID)
        }
        // A listing gives back the names it was given, however odd.
        let lines = text.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        if let listing = try? ObjectListing(lines.map { ObjectVersion(key: $0, versionID: lines.last, size: 1, etag: lines.first, lastModified: Date()) }) {
            let keys = listing.map(\.key)
            precondition(keys.sorted() == lines.sorted(), "a listing keeps every key as given")
            precondition(zip(keys, keys.dropFirst()).allSatisfy { !keyBytesPrecede($1, $0) }, "a listing is in byte order")
            precondition(lines.allSatisfy { listing.position(ofKey: $0) != nil }, "every key is found")
        }
        _ = (BucketSettings.versioning(data), BucketSettings.lifecycle(data), BucketSettings.encryption(data))
        _ = (BucketSettings.publicAccessBlock(data), BucketSettings.objectLock(data))
        _ = Digest32(hex: text)
        _ = Shard(text)
        _ = try? CatalogConsistency.render(text, row: ["bucket_id": "b", "name": nil], variables: ["tenant": "t"])
        _ = ObjectStoreSpec(url: text).problem
        _ = URIEncoding.decode(text, plusIsSpace: true)
        _ = URIEncoding.encode(text, keepSlash: true)
    }
}
