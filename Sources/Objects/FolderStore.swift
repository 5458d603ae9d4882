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
        let versions = try await BlockingWork.run { Self.regularFiles(under: root).sortedByKeyBytes(\.key) }
        let pageSize = 1000
        var start = 0
        while start < versions.count || start == 0 {
            try await page(Array(versions[start..<min(start + pageSize, versions.count)]))
            start += pageSize
            if versions.isEmpty { break }
        }
    }

    /// Every regular file under `root` (symbolic links are not followed), with `readdir` and
    /// `fstatat`: FileManager's enumerator cost more per file than hashing a small one.
    static func regularFiles(under root: String) -> [ObjectVersion] {
        var found: [ObjectVersion] = []
        var folders = [""]
        while let relative = folders.popLast() {
            guard let directory = opendir(relative.isEmpty ? root : root + "/" + relative) else { continue }
            defer { closedir(directory) }
            let descriptor = dirfd(directory)
            while let entry = readdir(directory) {
                let name = withUnsafePointer(to: &entry.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if name == "." || name == ".." { continue }
                var info = stat()
                guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                let key = relative.isEmpty ? name : relative + "/" + name
                switch info.st_mode & S_IFMT {
                case S_IFDIR: folders.append(key)
                case S_IFREG:
                    let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
                    found.append(ObjectVersion(key: key, versionID: nil, size: Int64(info.st_size), etag: nil, lastModified: modified))
                default: continue
                }
            }
        }
        return found
    }

    public func read(_ version: ObjectVersion, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws -> String? {
        try await BlockingWork.run { [self] in try readNow(version, into: sink) }
        return nil
    }

    public var blockingReader: (any BlockingObjectReader)? { self }
}

extension FolderStore: BlockingObjectReader {
    public func readNow(_ version: ObjectVersion, into sink: (UnsafeRawBufferPointer) -> Bool) throws {
        let path = root + "/" + version.key
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
}
