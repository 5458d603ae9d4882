import DrillSupport
import Foundation

/// A local folder as an object store (`file:///srv/uploads`): keys are paths relative to the
/// folder, there is no history, and files are opened read-only.
public struct FolderStore: ObjectStore {
    public let root: String
    private let rootDirectory: OpenDirectory

    /// A store over `root`.
    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        rootDirectory = OpenDirectory(path: self.root)
    }

    public var description: String { "file://\(root)" }

    public func keepsVersions() async throws -> Bool { false }

    public func listVersions(_ page: ([ObjectVersion]) async throws -> Void) async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ObjectStoreError(message: "the object folder \(root) does not exist or is not a folder", unreadable: false)
        }
        let walk = FolderWalk(root: root)
        var first = true
        while true {
            let files = try await BlockingWork.run { walk.next(1000) }
            if files.isEmpty && !first { return }
            first = false
            try await page(files)
            if files.isEmpty { return }
        }
    }

    /// Every regular file under `root` in key order (symbolic links are not followed).
    static func regularFiles(under root: String) -> [ObjectVersion] {
        let walk = FolderWalk(root: root)
        var found: [ObjectVersion] = []
        while true {
            let files = walk.next(1000)
            if files.isEmpty { return found }
            found += files
        }
    }

    public func read(_ version: ObjectVersion, into sink: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool) async throws -> String? {
        try await BlockingWork.run { [self] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 64)
            defer { buffer.deallocate() }
            try readNow(version, buffer: buffer, into: sink)
        }
        return nil
    }

    /// Bytes read at a time: small enough that what was just read is still in the CPU's
    /// cache when it is hashed, large enough that the system calls do not count.
    public static let readSize = 256 << 10

    public var blockingReader: (any BlockingObjectReader)? { self }
}

extension FolderStore: BlockingObjectReader {
    public func readNow(_ version: ObjectVersion, buffer: UnsafeMutableRawBufferPointer, into sink: (UnsafeRawBufferPointer) -> Bool) throws {
        let path = root + "/" + version.key
        // Opened from the folder itself: the kernel then walks only the key's own path.
        let descriptor = rootDirectory.descriptor >= 0 ? openat(rootDirectory.descriptor, version.key, O_RDONLY | O_CLOEXEC) : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ObjectStoreError(message: "\(path) cannot be opened: \(String(cString: strerror(errno)))", unreadable: true)
        }
        defer { close(descriptor) }
        if version.size > buffer.count { _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL) }
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

/// Walks a folder in key order (UTF-8 byte order of the relative paths) without listing it
/// whole first: each folder's entries are sorted as they are read, a folder compared as its
/// name and a slash, which is where its files' keys fall among its siblings'. Uses `readdir`
/// and `fstatat`: FileManager's enumerator cost more per file than hashing a small one.
final class FolderWalk: @unchecked Sendable {
    // Used by one caller at a time (a listing asks for its pages in turn).
    private struct Entry {
        /// The name, and a slash after a folder's: where its files' keys sort.
        var sortKey: [UInt8]
        var isFolder: Bool
        var size: Int64
        var modified: Date
    }

    private struct Level {
        var relative: String
        var entries: [Entry]
        var next = 0
    }

    private let root: String
    private var levels: [Level] = []

    init(root: String) {
        self.root = root
        levels = [Level(relative: "", entries: Self.entries(of: root))]
    }

    /// Up to `limit` more files; none when the walk is over.
    func next(_ limit: Int) -> [ObjectVersion] {
        // Worked on as a local and put back: the class's property would be checked for
        // exclusive access at every step.
        var levels = self.levels
        self.levels = []
        defer { self.levels = levels }
        var files: [ObjectVersion] = []
        files.reserveCapacity(limit)
        while files.count < limit, let top = levels.indices.last {
            let position = levels[top].next
            guard position < levels[top].entries.count else {
                levels.removeLast()
                continue
            }
            levels[top].next = position + 1
            let entry = levels[top].entries[position]
            let relative = levels[top].relative
            let name = String(decoding: entry.isFolder ? entry.sortKey.dropLast() : entry.sortKey[...], as: UTF8.self)
            let key = relative.isEmpty ? name : relative + "/" + name
            if entry.isFolder {
                levels.append(Level(relative: key, entries: Self.entries(of: root + "/" + key)))
            } else {
                files.append(ObjectVersion(key: key, versionID: nil, size: entry.size, etag: nil, lastModified: entry.modified))
            }
        }
        return files
    }

    /// The regular files and folders in `path`, in key order.
    private static func entries(of path: String) -> [Entry] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        var found: [Entry] = []
        while let entry = readdir(directory) {
            let listed: Entry? = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                UnsafeRawPointer(pointer).withMemoryRebound(to: CChar.self, capacity: 256) { (name: UnsafePointer<CChar>) -> Entry? in
                    let length = strlen(name)
                    if length == 1 && name[0] == 0x2E || length == 2 && name[0] == 0x2E && name[1] == 0x2E { return nil }
                    var info = stat()
                    // The name as the folder holds it (not as decoded text), so an odd name is still opened.
                    guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
                    var sortKey = Array(UnsafeRawBufferPointer(start: name, count: length))
                    switch info.st_mode & S_IFMT {
                    case S_IFDIR:
                        sortKey.append(0x2F)
                        return Entry(sortKey: sortKey, isFolder: true, size: 0, modified: .distantPast)
                    case S_IFREG:
                        let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
                        return Entry(sortKey: sortKey, isFolder: false, size: Int64(info.st_size), modified: modified)
                    default: return nil
                    }
                }
            }
            if let listed { found.append(listed) }
        }
        found.sort { left, right in
            left.sortKey.withUnsafeBytes { a in right.sortKey.withUnsafeBytes { b in PackedTexts.compare(a, b) < 0 } }
        }
        return found
    }
}

/// A folder held open (read-only) for `openat`, closed when the last store using it goes.
final class OpenDirectory: Sendable {
    /// The descriptor, or -1 when the folder could not be opened (then paths are used).
    let descriptor: Int32

    init(path: String) { descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }

    deinit { if descriptor >= 0 { close(descriptor) } }
}
