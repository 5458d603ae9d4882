import DrillSupport
import Foundation

/// The comparison of a store as of a point with a manifest: every manifest object present
/// with its bytes, and what is missing, changed, extra or unreadable.
public struct ObjectVerification: Sendable {
    /// One object that did not match, and how.
    public struct Finding: Sendable, Codable, Equatable {
        public var category: Category
        public var key: String
        public var versionID: String?
        public var detail: String

        /// Creates a finding.
        public init(category: Category, key: String, versionID: String?, detail: String) {
            self.category = category
            self.key = key
            self.versionID = versionID
            self.detail = detail
        }

        enum CodingKeys: String, CodingKey { case category, key, versionID = "version_id", detail }
    }

    /// The kinds of mismatch, in report order.
    public enum Category: String, Sendable, Codable, CaseIterable {
        /// In the manifest, absent from the store at the point.
        case missing
        /// Present, but its size or bytes differ from the manifest (or from its own MD5 ETag).
        case changed
        /// In the store at the point, not in the manifest.
        case extra
        /// Listed, but its bytes cannot be read (403, 404 on GET, I/O error).
        case unreadable
        /// Could not be checked because the store kept failing (5xx, timeouts): the harness's problem.
        case unavailable
    }

    public var store: String
    public var point: Date?
    public var historyKnown: Bool
    public var objectsInStore: Int
    public var objectsInManifest: Int
    public var matched: Int
    public var bytesHashed: Int64
    public var findings: [Finding]
    /// Keys whose chosen version lies within a second of the point (listing times have second precision).
    public var closeToThePoint: [String]

    /// Creates a verification result (from its parts, as when shard reports are merged).
    public init(
        store: String, point: Date?, historyKnown: Bool, objectsInStore: Int, objectsInManifest: Int, matched: Int, bytesHashed: Int64,
        findings: [Finding], closeToThePoint: [String]
    ) {
        self.store = store
        self.point = point
        self.historyKnown = historyKnown
        self.objectsInStore = objectsInStore
        self.objectsInManifest = objectsInManifest
        self.matched = matched
        self.bytesHashed = bytesHashed
        self.findings = findings
        self.closeToThePoint = closeToThePoint
    }

    /// Findings of one category, sorted by key.
    public func findings(_ category: Category) -> [Finding] { findings.filter { $0.category == category } }

    /// Lists `store` as of `point`, reads every object the manifest names, and compares.
    public static func verify(
        store: any ObjectStore, manifest: ManifestIndex, at point: Date?, shard: Shard?, parallel: Int,
        onProgress: (@Sendable (String) -> Void)? = nil
    ) async throws -> ObjectVerification {
        onProgress?("listing \(store)")
        let listing = try await ObjectsAsOf.list(store, at: point) { seen in onProgress?("listed \(seen) versions") }
        return try await verify(store: store, listing: listing, manifest: manifest, at: point, shard: shard, parallel: parallel, onProgress: onProgress)
    }

    /// Compares an existing listing with the manifest (the drill lists once for this and the catalog).
    public static func verify(
        store: any ObjectStore, listing fullListing: ObjectsAsOf, manifest: ManifestIndex, at point: Date?, shard: Shard?, parallel: Int,
        onProgress: (@Sendable (String) -> Void)? = nil
    ) async throws -> ObjectVerification {
        var listing = fullListing
        if let shard { listing.objects.removeAll { !shard.contains($0.key) } }
        var findings: [Finding] = []
        var toHash: [ObjectVersion] = []
        var present = Set<String>()
        for object in listing.objects {
            present.insert(object.key)
            guard let record = manifest.records[object.key] else {
                findings.append(Finding(category: .extra, key: object.key, versionID: object.versionID, detail: "\(object.size) bytes, not in the manifest"))
                continue
            }
            if record.size != object.size {
                findings.append(
                    Finding(
                        category: .changed, key: object.key, versionID: object.versionID,
                        detail: "size \(object.size) bytes, the manifest recorded \(record.size)"))
                continue
            }
            toHash.append(object)
        }
        for (key, record) in manifest.records where !present.contains(key) {
            findings.append(
                Finding(category: .missing, key: key, versionID: record.versionID, detail: "\(record.size) bytes in the manifest, absent from the store\(point.map { " at \(TimestampText.iso($0))" } ?? "")"))
        }
        let progress = RehashProgress(totalObjects: toHash.count, totalBytes: toHash.reduce(0) { $0 + $1.size })
        let reporter = onProgress
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                reporter?(progress.line)
            }
        }
        defer { ticker.cancel() }
        var matched = 0
        try await Rehasher.hash(toHash, from: store, parallel: parallel, progress: progress) { result in
            let version = result.version
            if let failure = result.failure {
                findings.append(Finding(category: failure.unreadable ? .unreadable : .unavailable, key: version.key, versionID: version.versionID, detail: failure.message))
                return
            }
            let record = manifest.records[version.key]!
            if let sha = result.sha256, Digest32(hex: sha) != record.digest {
                findings.append(
                    Finding(category: .changed, key: version.key, versionID: version.versionID, detail: "sha256 \(sha), the manifest recorded \(record.digest.hex)"))
            } else if let stored = result.storedSHA256, stored != result.sha256 {
                findings.append(
                    Finding(category: .changed, key: version.key, versionID: version.versionID, detail: "the bytes' sha256 differs from the checksum the store recorded (\(stored))"))
            } else if let md5 = result.md5, let etag = version.etag, md5 != etag {
                findings.append(Finding(category: .changed, key: version.key, versionID: version.versionID, detail: "the bytes' MD5 \(md5) differs from the stored ETag \(etag)"))
            } else {
                matched += 1
            }
        }
        findings.sort { $0.category == $1.category ? Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) : Category.allCases.firstIndex(of: $0.category)! < Category.allCases.firstIndex(of: $1.category)! }
        return ObjectVerification(
            store: store.description, point: point, historyKnown: listing.historyKnown, objectsInStore: listing.objects.count,
            objectsInManifest: manifest.records.count, matched: matched, bytesHashed: progress.bytes, findings: findings,
            closeToThePoint: listing.closeToThePoint)
    }
}

/// Records a store as of a point into manifest entries (the `objects snapshot` command).
public enum ObjectSnapshot {
    /// Lists, reads and hashes every object; unreadable objects are errors (a manifest must be whole).
    public static func take(
        store: any ObjectStore, at point: Date?, shard: Shard?, parallel: Int, onProgress: (@Sendable (String) -> Void)? = nil
    ) async throws -> (entries: [ManifestEntry], historyKnown: Bool) {
        var listing = try await ObjectsAsOf.list(store, at: point) { seen in onProgress?("listed \(seen) versions") }
        if let shard { listing.objects.removeAll { !shard.contains($0.key) } }
        let progress = RehashProgress(totalObjects: listing.objects.count, totalBytes: listing.objects.reduce(0) { $0 + $1.size })
        let reporter = onProgress
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                reporter?(progress.line)
            }
        }
        defer { ticker.cancel() }
        var entries: [ManifestEntry] = []
        var failures: [String] = []
        try await Rehasher.hash(listing.objects, from: store, parallel: parallel, progress: progress) { result in
            if let failure = result.failure {
                failures.append("\(result.version.key): \(failure.message)")
                return
            }
            let version = result.version
            entries.append(
                ManifestEntry(
                    key: version.key, versionID: version.versionID, size: result.bytesRead, sha256: result.sha256 ?? "", etag: version.etag,
                    lastModified: version.lastModified))
        }
        guard failures.isEmpty else {
            throw ObjectStoreError(
                message: "\(failures.count) object(s) could not be read, so no manifest was written; first: \(failures.sorted().first!)", unreadable: true)
        }
        return (entries, listing.historyKnown)
    }
}
