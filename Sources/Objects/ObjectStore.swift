import Foundation

/// Where objects live: an S3-compatible bucket or a local folder. Stores are only read.
public protocol ObjectStore: Sendable, CustomStringConvertible {
    /// Whether listings carry history (S3 versioning), so a point in time can be chosen.
    func keepsVersions() async throws -> Bool
    /// Every version and delete marker (or every current object, without history), sorted by
    /// key and, within a key, newest first; handed over a page at a time.
    func listVersions(_ page: ([ObjectVersion]) async throws -> Void) async throws
    /// Streams the bytes of `version`; `sink` returns false to stop. Returns the full-object
    /// SHA-256 the store itself recorded for them, when it has one (S3 additional checksums).
    func read(_ version: ObjectVersion, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws -> String?
    /// For stores on this machine: `read` done on the calling thread, so many small objects can
    /// be read in a row on one thread (no task and no thread hop each). Nil: not offered.
    var blockingReader: (any BlockingObjectReader)? { get }
}

extension ObjectStore {
    public var blockingReader: (any BlockingObjectReader)? { nil }
}

/// Reads an object on the calling thread (a blocking call: run it off the cooperative pool).
public protocol BlockingObjectReader: Sendable {
    /// Streams the bytes of `version` into `sink` (false stops), reading through `buffer`
    /// (the caller's, reused from object to object); throws `ObjectStoreError`.
    func readNow(_ version: ObjectVersion, buffer: UnsafeMutableRawBufferPointer, into sink: (UnsafeRawBufferPointer) -> Bool) throws
}

/// The errors a store raises besides S3's own.
public struct ObjectStoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// True when the object exists but cannot be read (permissions, I/O error): the backup's fault, not the harness's.
    public var unreadable: Bool
    public var description: String { message }
}
