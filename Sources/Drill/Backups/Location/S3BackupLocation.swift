import DrillSupport
import Foundation
import Objects

/// Backup files in an S3 bucket, read with the project's S3 client (SigV4, retries, ranged
/// resume): ListObjectsV2 and GET only.
struct S3BackupLocation: BackupLocation {
    let client: S3Client
    let bucketURL: String

    var description: String { bucketURL }

    func list(_ pattern: LocationPattern) async throws -> [StoredArtifact] {
        var scoped = client
        scoped.location.prefix = pattern.prefix
        var found: [StoredArtifact] = []
        try await scoped.listCurrent { page in
            for version in page.versions where !version.isDeleteMarker {
                let key = pattern.prefix + version.key
                guard pattern.matches(key) else { continue }
                found.append(
                    StoredArtifact(name: (key as NSString).lastPathComponent, reference: key, size: version.size, modified: version.lastModified))
            }
        }
        return found
    }

    func readSmall(_ reference: String) async throws -> Data? {
        let buffer = SmallBuffer()
        do throws(S3Error) {
            try await client.get(key: reference, versionID: nil) { buffer.append($0) }
        } catch {
            if error.code == .notFound { return nil }
            throw error
        }
        return buffer.data
    }

    func readHead(_ reference: String, count: Int) async throws -> Data {
        try await client.getHead(key: reference, count: count)
    }

    func stream(_ artifact: StoredArtifact, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws {
        try await client.get(key: artifact.reference, versionID: nil, into: sink)
    }

    func url(of reference: String) -> String { bucketURL + "/" + reference }
}

/// Collects a small body (a sidecar) from a transfer's thread; refuses to grow past 64 MiB.
final class SmallBuffer: @unchecked Sendable {
    // Written by one transfer at a time, read after it returned.
    private(set) var data = Data()

    func append(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard data.count + chunk.count <= 64 << 20 else { return false }
        data.append(contentsOf: chunk)
        return true
    }
}
