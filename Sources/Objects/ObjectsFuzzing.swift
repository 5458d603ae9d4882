import Foundation

/// The parsers of the objects layer that read untrusted input: S3 XML answers, manifest
/// lines, shard specs, catalog key templates and store URLs. For the fuzz target.
public enum ObjectsFuzzing {
    /// Runs each parser over `data`; none may crash.
    public static func exercise(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        if let root = XMLNode.parse(data) { _ = root.all("Version").count + (root.value("NextKeyMarker")?.count ?? 0) }
        _ = try? JSONDecoder().decode(ManifestEntry.self, from: data)
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
