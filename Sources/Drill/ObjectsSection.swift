import DrillSupport
import Foundation
import Objects

/// The drill file's `objects:` section: the store that belongs with the backup, and what to
/// compare it with at the recovery point (a manifest, the restored catalog, or both).
public struct ObjectsSection: Sendable {
    /// How the restored database lists its objects, and how a row becomes a store key.
    public struct Catalog: Sendable {
        /// Returns one row per object; columns `size` and `etag` are compared when present.
        public var query: String
        /// `{column}` placeholders (and drill variables): `{bucket_id}/{name}`.
        public var keyTemplate: String
        /// Database to query; the restored one when nil.
        public var database: String?
    }

    /// Supabase Storage's catalog: `storage.objects` with size and ETag from `metadata`.
    public static let supabaseQuery = """
        SELECT bucket_id, name, metadata->>'size' AS size, metadata->>'eTag' AS etag, version FROM storage.objects
        """

    public var spec: ObjectStoreSpec
    /// Manifest path (resolved against the drill file's folder).
    public var manifest: String?
    public var catalog: Catalog?
    /// Objects no catalog row names fail the drill (default: a warning in the report).
    public var orphansFail: Bool
    /// Objects read at once.
    public var parallel: Int?
    /// Copy the objects as of the point into the drill's scratch folder for services and checks.
    public var materialize: Bool = false
}

/// Parses `objects:`.
enum ObjectsParsing {
    static func parse(_ node: YAMLValue?, baseDirectory: String) throws(ConfigError) -> ObjectsSection? {
        guard let node else { return nil }
        try node.rejectUnknownKeys(Set(["store", "manifest", "catalog", "orphans", "parallel", "materialize"] + S3Settings.keys))
        let storeNode = try node.required("store", hint: "s3://BUCKET[/PREFIX] or file:///FOLDER")
        var url = try storeNode.string()
        if !url.contains("://") && !url.hasPrefix("/") { url = ((baseDirectory + "/" + url) as NSString).standardizingPath }
        var spec = try S3Settings.parse(node, baseDirectory: baseDirectory).spec
        spec.url = url
        if let problem = spec.problem { throw storeNode.error(problem) }
        var catalog: ObjectsSection.Catalog?
        if let catalogNode = node["catalog"] {
            if !catalogNode.isMapping {
                guard try catalogNode.string() == "supabase" else { throw catalogNode.error("expected supabase or {query, key}") }
                catalog = .init(query: ObjectsSection.supabaseQuery, keyTemplate: "{bucket_id}/{name}", database: nil)
            } else {
                try catalogNode.rejectUnknownKeys(["query", "key", "database"])
                catalog = .init(
                    query: try catalogNode["query"]?.string() ?? ObjectsSection.supabaseQuery,
                    keyTemplate: try catalogNode["key"]?.string() ?? "{bucket_id}/{name}", database: try catalogNode["database"]?.string())
            }
        }
        let manifestText = try node["manifest"]?.string()
        let manifest = manifestText.map { absolute($0, baseDirectory) }
        let materialize = try node["materialize"]?.bool() ?? false
        guard manifest != nil || catalog != nil || materialize else {
            throw node.error("objects: needs manifest: FILE (from restore-drill objects snapshot) and/or catalog: to compare the store with")
        }
        var orphansFail = false
        if let orphans = node["orphans"] {
            switch try orphans.string() {
            case "warn": orphansFail = false
            case "fail": orphansFail = true
            default: throw orphans.error("expected warn or fail")
            }
        }
        var parallel: Int?
        if let value = node["parallel"] {
            parallel = try value.int()
            guard parallel! >= 1 else { throw value.error("parallel must be at least 1") }
        }
        return ObjectsSection(spec: spec, manifest: manifest, catalog: catalog, orphansFail: orphansFail, parallel: parallel, materialize: materialize)
    }

    static func absolute(_ path: String, _ base: String) -> String {
        path.hasPrefix("/") ? path : ((base + "/" + path) as NSString).standardizingPath
    }
}
