import DrillSupport
import Foundation
import Restore

/// Backup files in a local folder, read-only (a glob's folder is listed, nothing more).
struct LocalBackupLocation: BackupLocation {
    var description: String { "local files" }

    func list(_ pattern: LocationPattern) async throws -> [StoredArtifact] {
        guard pattern.namesSeveral else {
            let attributes = try? FileManager.default.attributesOfItem(atPath: pattern.prefix)
            guard let attributes else { return [] }
            return [artifact(pattern.prefix, attributes)]
        }
        let folder = pattern.isPrefix ? pattern.prefix : ((pattern.glob! as NSString).deletingLastPathComponent)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw ConfigError(file: folder, message: "the backup folder \(folder) cannot be listed (it does not exist, or this account cannot read it)")
        }
        var found: [StoredArtifact] = []
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            guard pattern.matches(path), let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { continue }
            found.append(artifact(path, attributes))
        }
        return found
    }

    private func artifact(_ path: String, _ attributes: [FileAttributeKey: Any]) -> StoredArtifact {
        StoredArtifact(
            name: (path as NSString).lastPathComponent, reference: path, size: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
            modified: attributes[.modificationDate] as? Date ?? .distantPast)
    }

    func readSmall(_ reference: String) async throws -> Data? {
        FileManager.default.fileExists(atPath: reference) ? try Data(contentsOf: URL(fileURLWithPath: reference)) : nil
    }

    func readHead(_ reference: String, count: Int) async throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: reference) else {
            throw RestoreError(.error, step: "fetch", "cannot open \(reference)")
        }
        defer { try? handle.close() }
        return try handle.read(upToCount: count) ?? Data()
    }

    func stream(_ artifact: StoredArtifact, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws {
        try await BlockingWork.run {
            let descriptor = open(artifact.reference, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw RestoreError(.error, step: "fetch", "cannot open \(artifact.reference): \(String(cString: strerror(errno)))")
            }
            defer { close(descriptor) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw RestoreError(.error, step: "fetch", "cannot read \(artifact.reference): \(String(cString: strerror(errno)))") }
                if count == 0 { return }
                guard sink(UnsafeRawBufferPointer(rebasing: buffer[..<count])) else { return }
            }
        }
    }

    func url(of reference: String) -> String { reference }
}
