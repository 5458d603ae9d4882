import Foundation

/// One version of one object as a store lists it (or a delete marker).
public struct ObjectVersion: Sendable, Equatable {
    /// Key relative to the store's prefix.
    public var key: String
    /// Version id; nil in an unversioned store ("null" versions of S3 count as nil too).
    public var versionID: String?
    public var size: Int64
    /// ETag without quotes (an MD5 for single-part uploads; `…-N` for multipart ones).
    public var etag: String?
    public var lastModified: Date
    /// A delete marker: the key is absent from this moment on.
    public var isDeleteMarker: Bool
    /// The store's current version of the key.
    public var isLatest: Bool

    /// Creates a version.
    public init(key: String, versionID: String?, size: Int64, etag: String?, lastModified: Date, isDeleteMarker: Bool = false, isLatest: Bool = true) {
        self.key = key
        self.versionID = versionID
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.isDeleteMarker = isDeleteMarker
        self.isLatest = isLatest
    }

    /// True when the ETag is the MD5 of the bytes (a single-part upload), so it can be checked by rehashing.
    public var etagIsMD5: Bool {
        guard let etag else { return false }
        return etag.count == 32 && etag.allSatisfy(\.isHexDigit)
    }
}
