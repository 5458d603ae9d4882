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
        let listing = try await ObjectsAsOf.list(store, at: point, shard: shard) { seen in onProgress?("listed \(seen) versions") }
        return try await verify(store: store, listing: listing, manifest: manifest, at: point, shard: shard, parallel: parallel, onProgress: onProgress)
    }

    /// Reads the manifest at `manifestPath` while `store` is listed (each is one core's work
    /// for a million keys), then compares them.
    public static func verify(
        store: any ObjectStore, manifestPath: String, at point: Date?, shard: Shard?, parallel: Int,
        onProgress: (@Sendable (String) -> Void)? = nil
    ) async throws -> ObjectVerification {
        async let reading = BlockingWork.run { try ManifestIndex.read(path: manifestPath, shard: shard) }
        onProgress?("listing \(store)")
        let listing = try await ObjectsAsOf.list(store, at: point, shard: shard) { seen in onProgress?("listed \(seen) versions") }
        let manifest = try await reading
        return try await verify(store: store, listing: listing, manifest: manifest, at: point, shard: shard, parallel: parallel, onProgress: onProgress)
    }

    /// Compares an existing listing with the manifest (the drill lists once for this and the
    /// catalog). Both are in key order, so they are walked side by side (a merge join): no set
    /// or dictionary of a million keys is built, and the objects to read are kept as positions.
    public static func verify(
        store: any ObjectStore, listing fullListing: ObjectsAsOf, manifest: ManifestIndex, at point: Date?, shard: Shard?, parallel: Int,
        onProgress: (@Sendable (String) -> Void)? = nil
    ) async throws -> ObjectVerification {
        var listing = fullListing
        if let shard, listing.shard != shard {
            listing.objects.keep(shard)
            listing.closeToThePoint.removeAll { !shard.contains($0) }
        }
        let objects = listing.objects
        guard objects.count < Int(Int32.max), manifest.count < Int(Int32.max) else {
            throw ObjectStoreError(message: "more than 2,147,483,647 keys in one run: split the store with --shard I/N", unreadable: false)
        }
        var findings: [Finding] = []
        // Positions in the listing and the manifest, in 4 bytes each (a listing is never 2^31 keys).
        var toHash: [Int32] = []
        var entryOf: [Int32] = []
        var totalBytes: Int64 = 0
        func missing(_ entry: Int) {
            let record = manifest.record(at: entry)
            findings.append(
                Finding(
                    category: .missing, key: manifest.key(at: entry), versionID: record.versionID,
                    detail: "\(record.size) bytes in the manifest, absent from the store\(point.map { " at \(TimestampText.iso($0))" } ?? "")"))
        }
        var entry = 0
        for position in objects.indices {
            var order = entry < manifest.count ? objects.compareKey(position, withEntry: entry, of: manifest) : -1
            while order > 0 {
                missing(entry)
                entry += 1
                order = entry < manifest.count ? objects.compareKey(position, withEntry: entry, of: manifest) : -1
            }
            let size = objects.size(at: position)
            if order < 0 {
                let object = objects[position]
                findings.append(Finding(category: .extra, key: object.key, versionID: object.versionID, detail: "\(size) bytes, not in the manifest"))
                continue
            }
            let recorded = manifest.record(at: entry).size
            if recorded != size {
                let object = objects[position]
                findings.append(
                    Finding(category: .changed, key: object.key, versionID: object.versionID, detail: "size \(size) bytes, the manifest recorded \(recorded)"))
            } else {
                toHash.append(Int32(position))
                entryOf.append(Int32(entry))
                totalBytes += size
            }
            entry += 1
        }
        while entry < manifest.count {
            missing(entry)
            entry += 1
        }
        let progress = RehashProgress(totalObjects: toHash.count, totalBytes: totalBytes)
        let ticker = progress.reportEverySecond(to: onProgress)
        defer { ticker.cancel() }
        var matched = 0
        try await Rehasher.hash(objects.rows(toHash), from: store, parallel: parallel, progress: progress) { result in
            let version = result.version
            if let failure = result.failure {
                findings.append(Finding(category: failure.unreadable ? .unreadable : .unavailable, key: version.key, versionID: version.versionID, detail: failure.message))
                return
            }
            let record = manifest.record(at: Int(entryOf[result.position]))
            if let digest = result.digest, digest != record.digest {
                findings.append(
                    Finding(category: .changed, key: version.key, versionID: version.versionID, detail: "sha256 \(digest.hex), the manifest recorded \(record.digest.hex)"))
            } else if let stored = result.storedSHA256, stored != result.sha256 {
                findings.append(
                    Finding(category: .changed, key: version.key, versionID: version.versionID, detail: "the bytes' sha256 differs from the checksum the store recorded (\(stored))"))
            } else if let md5 = result.md5, let etag = version.etag, md5 != etag {
                findings.append(Finding(category: .changed, key: version.key, versionID: version.versionID, detail: "the bytes' MD5 \(md5) differs from the stored ETag \(etag)"))
            } else {
                matched += 1
            }
        }
        let rank = Dictionary(uniqueKeysWithValues: Category.allCases.enumerated().map { ($1, $0) })
        findings.sort { $0.category == $1.category ? $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) : rank[$0.category]! < rank[$1.category]! }
        return ObjectVerification(
            store: store.description, point: point, historyKnown: listing.historyKnown, objectsInStore: objects.count,
            objectsInManifest: manifest.count, matched: matched, bytesHashed: progress.bytes, findings: findings,
            closeToThePoint: listing.closeToThePoint)
    }
}

/// Records a store as of a point into a manifest (the `objects snapshot` command).
public enum ObjectSnapshot {
    /// What a snapshot recorded.
    public struct Taken: Sendable {
        /// Objects recorded.
        public var count: Int
        /// Bytes recorded.
        public var bytes: Int64
        /// Whether the store keeps versions (so the point was honoured).
        public var historyKnown: Bool
    }

    /// Lists, reads and hashes every object, and writes the manifest to `path` while the
    /// objects are read: a line as soon as every object before it in key order is done, so
    /// writing overlaps hashing and no line is held longer than that. Unreadable objects are
    /// errors, and then no manifest is written (a manifest must be whole).
    public static func take(
        store: any ObjectStore, at point: Date?, shard: Shard?, parallel: Int, writingTo path: String,
        onProgress: (@Sendable (String) -> Void)? = nil
    ) async throws -> Taken {
        let listing = try await ObjectsAsOf.list(store, at: point, shard: shard) { seen in onProgress?("listed \(seen) versions") }
        let objects = listing.objects
        let progress = RehashProgress(totalObjects: objects.count, totalBytes: objects.totalSize)
        let ticker = progress.reportEverySecond(to: onProgress)
        defer { ticker.cancel() }
        let stream = try ManifestStream(path: path)
        // Results arrive in any order; each waits here (32 bytes and its size) until it is next.
        var digests = [Digest32](repeating: .zero, count: objects.count)
        var sizes = [Int64](repeating: -1, count: objects.count)
        var written = 0
        var bytes: Int64 = 0
        var failures: [String] = []
        do {
            try await Rehasher.hash(objects, from: store, parallel: parallel, progress: progress) { result in
                guard let digest = result.digest, result.failure == nil else {
                    failures.append("\(result.version.key): \(result.failure?.message ?? "no digest")")
                    return
                }
                digests[result.position] = digest
                sizes[result.position] = result.bytesRead
                guard failures.isEmpty else { return }
                while written < objects.count, sizes[written] >= 0 {
                    let version = objects[written]
                    try stream.append(
                        ManifestEntry(
                            key: version.key, versionID: version.versionID, size: sizes[written], sha256: digests[written].hex, etag: version.etag,
                            lastModified: version.lastModified))
                    bytes += sizes[written]
                    written += 1
                }
            }
            guard failures.isEmpty else {
                throw ObjectStoreError(
                    message: "\(failures.count) object(s) could not be read, so no manifest was written; first: \(failures.sorted().first!)", unreadable: true)
            }
            try stream.commit()
        } catch {
            stream.abandon()
            throw error
        }
        return Taken(count: written, bytes: bytes, historyKnown: listing.historyKnown)
    }
}
