import DrillSupport
import Foundation

/// A local folder as an object store (`file:///srv/uploads`): keys are paths relative to the
/// folder, there is no history, and files are opened read-only.
public struct FolderStore: ObjectStore {
    public let root: String

    /// A store over `root`.
    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    public var description: String { "file://\(root)" }

    public func keepsVersions() async throws -> Bool { false }

    public func listVersions(_ page: ([ObjectVersion]) async throws -> Void) async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ObjectStoreError(message: "the object folder \(root) does not exist or is not a folder", unreadable: false)
        }
        let root = self.root
        let versions = try await BlockingWork.run { () -> [ObjectVersion] in
            guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
            var found: [ObjectVersion] = []
            while let relative = walker.nextObject() as? String {
                var info = stat()
                guard lstat(root + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
                found.append(ObjectVersion(key: relative, versionID: nil, size: Int64(info.st_size), etag: nil, lastModified: modified))
            }
            return found.sortedByKeyBytes(\.key)
        }
        let pageSize = 1000
        var start = 0
        while start < versions.count || start == 0 {
            try await page(Array(versions[start..<min(start + pageSize, versions.count)]))
            start += pageSize
            if versions.isEmpty { break }
        }
    }

    public func read(_ version: ObjectVersion, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws -> String? {
        let path = root + "/" + version.key
        try await BlockingWork.run {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw ObjectStoreError(message: "\(path) cannot be opened: \(String(cString: strerror(errno)))", unreadable: true)
            }
            defer { close(descriptor) }
            // Most objects are small: a buffer of their size (plus one byte to see the end), at most 1 MiB.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(max(version.size + 1, 4096), 1 << 20)), alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let count = Foundation.read(descriptor, buffer.baseAddress, buffer.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ObjectStoreError(message: "\(path) cannot be read: \(String(cString: strerror(errno)))", unreadable: true)
                }
                if count == 0 { return }
                guard sink(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) else { return }
            }
        }
        return nil
    }
}
