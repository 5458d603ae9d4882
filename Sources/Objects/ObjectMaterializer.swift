import DrillSupport
import Foundation

/// Writes the objects of a store as of a point into a scratch folder, for an application under
/// test that needs the files: never into the source, never outside the folder.
public enum ObjectMaterializer {
    /// What was written, and what was not.
    public struct Outcome: Sendable {
        public var written: Int
        public var bytes: Int64
        /// Keys that could not be written, with why.
        public var problems: [(key: String, reason: String)]
    }

    /// Writes `objects` from `store` under `folder` (created; must be empty or absent).
    public static func materialize(
        _ objects: ObjectListing, from store: any ObjectStore, into folder: String, parallel: Int
    ) async throws -> Outcome {
        let target = (folder as NSString).standardizingPath
        if let source = store as? FolderStore {
            let root = (source.root as NSString).standardizingPath
            if target == root || target.hasPrefix(root + "/") || root.hasPrefix(target + "/") {
                throw ObjectStoreError(message: "refusing to materialize into \(target): it overlaps the source folder \(root)", unreadable: false)
            }
        }
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: target), !existing.isEmpty {
            throw ObjectStoreError(message: "refusing to materialize into \(target): the folder is not empty", unreadable: false)
        }
        var outcome = Outcome(written: 0, bytes: 0, problems: [])
        var safe: [Int] = []
        for position in objects.indices {
            let key = objects.key(at: position)
            if !RelativeKey.isSafe(key) {
                outcome.problems.append((key, "the key is not a safe relative path"))
            } else {
                safe.append(position)
            }
        }
        try await withThrowingTaskGroup(of: (String, Int64, String?).self) { group in
            var next = 0
            func launch() {
                let object = objects[safe[next]]
                next += 1
                group.addTask { await write(object, from: store, under: target) }
            }
            while next < safe.count && next < max(1, parallel) { launch() }
            while let (key, bytes, problem) = try await group.next() {
                if let problem { outcome.problems.append((key, problem)) } else {
                    outcome.written += 1
                    outcome.bytes += bytes
                }
                if next < safe.count { launch() }
            }
        }
        return outcome
    }

    static func write(_ object: ObjectVersion, from store: any ObjectStore, under folder: String) async -> (String, Int64, String?) {
        let path = folder + "/" + object.key
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            return (object.key, 0, "cannot create its folder: \(error.localizedDescription)")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return (object.key, 0, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = WriteCounter()
        do {
            _ = try await store.read(object) { chunk in
                var offset = 0
                while offset < chunk.count {
                    let count = Foundation.write(descriptor, chunk.baseAddress! + offset, chunk.count - offset)
                    if count < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += count
                }
                written.add(Int64(chunk.count))
                return true
            }
        } catch {
            return (object.key, written.value, "\(error)")
        }
        return (object.key, written.value, written.value == object.size ? nil : "wrote \(written.value) of \(object.size) bytes")
    }
}

/// Bytes written by one object's transfer.
final class WriteCounter: @unchecked Sendable {
    // Updated by the single transfer writing one file, read after it ended.
    private(set) var value: Int64 = 0
    func add(_ bytes: Int64) { value += bytes }
}
