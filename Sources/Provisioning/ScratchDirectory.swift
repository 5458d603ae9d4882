import DrillSupport
import Foundation

/// The drill's private temp dir (`restore-drill-XXXXXX`), owned by the server's OS account.
public enum ScratchDirectory {
    /// The prefix every drill temp dir carries, so leftovers can be found.
    public static let prefix = "restore-drill-"

    /// Creates a fresh private directory under `root` (default `$TMPDIR` or `/tmp`).
    public static func create(root: String?, owner: OSUser?) throws(ProvisionError) -> String {
        let base = root ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/" + prefix + "XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else {
            throw ProvisionError(
                .workDirectory, "cannot create a temp dir in \(base): \(String(cString: strerror(errno))). Set TMPDIR to a writable directory.")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // The server account needs to traverse it; nobody else may look inside.
        chmod(path, 0o700)
        DrillLock.hold(path + "/" + DrillLock.fileName)
        if let owner { try chown(path, to: owner) }
        return path
    }

    /// Creates `path` (mode 0700) owned by `owner` when given.
    public static func makeDirectory(_ path: String, owner: OSUser?) throws(ProvisionError) {
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw ProvisionError(.workDirectory, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        if let owner { try chown(path, to: owner) }
    }

    /// Writes `contents` to `path` with mode 0600, owned by `owner` when given.
    public static func writePrivateFile(_ path: String, contents: String, owner: OSUser?) throws(ProvisionError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600])
        else { throw ProvisionError(.workDirectory, "cannot write \(path)") }
        if let owner { try chown(path, to: owner) }
    }

    static func chown(_ path: String, to owner: OSUser) throws(ProvisionError) {
        guard Glibc.chown(path, owner.uid, owner.gid) == 0 else {
            throw ProvisionError(.workDirectory, "cannot give \(path) to \(owner.name): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes a drill temp dir; refuses anything that is not one.
    public static func remove(_ path: String) -> String? {
        guard (path as NSString).lastPathComponent.hasPrefix(prefix) else {
            return "refused to remove \(path): not a restore-drill temp dir"
        }
        do {
            try FileManager.default.removeItem(atPath: path)
            DrillLock.release(path + "/" + DrillLock.fileName)
            return nil
        } catch {
            return "could not remove \(path): \(YAMLValue.describe(error))"
        }
    }
}
