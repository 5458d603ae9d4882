import Foundation

/// An S3-compatible bucket (or a prefix of it) as an object store, read through `S3Client`.
public struct S3Store: ObjectStore {
    public let client: S3Client

    /// A store read with `client`.
    public init(client: S3Client) { self.client = client }

    public var description: String { client.location.description }

    public func keepsVersions() async throws -> Bool {
        let status = try await client.versioningStatus()
        return status == "Enabled" || status == "Suspended"
    }

    public func listVersions(_ page: ([ObjectVersion]) async throws -> Void) async throws {
        if try await keepsVersions() {
            try await client.listVersions { try await page($0.versions) }
        } else {
            try await client.listCurrent { try await page($0.versions) }
        }
    }

    public func read(_ version: ObjectVersion, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws -> String? {
        // Written without `catch where` on a typed throw: Swift 6.3.1's SILGen crashed on that form.
        let outcome: S3Error?
        var checksum: String?
        do throws(S3Error) {
            checksum = try await client.get(key: version.key, versionID: version.versionID, into: sink)
            outcome = nil
        } catch {
            outcome = error
        }
        guard let outcome else { return checksum }
        if outcome.code == .accessDenied || outcome.code == .notFound { throw ObjectStoreError(message: outcome.message, unreadable: true) }
        throw outcome
    }

}
