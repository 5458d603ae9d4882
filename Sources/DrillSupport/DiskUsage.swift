import Foundation

/// Sizes of files and folders without reading their contents.
public enum DiskUsage {
    /// Bytes of the file at `path`, or of every regular file under the folder at `path` (links not followed).
    public static func bytes(at path: String) -> Int64 {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
        guard isDirectory.boolValue else { return fileSize(path) }
        var total: Int64 = 0
        let enumerator = manager.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            if (enumerator?.fileAttributes?[.type] as? FileAttributeType) == .typeRegular { total += fileSize(path + "/" + relative) }
        }
        return total
    }

    private static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
    }
}
