import DrillSupport
import Foundation

/// A private directory for one test, removed by `remove()`; its `tmp/` is the TMPDIR the
/// drill under test gets, so "nothing left behind" is checked on that folder alone.
public struct TestWorkspace: Sendable {
    /// The workspace root.
    public let path: String

    /// Creates a workspace traversable by the server's OS account (the drill's temp dirs live inside).
    public init(_ label: String = "test") throws {
        var template = Array(("/tmp/rdtest-\(label)-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw TestSupportError("cannot create a test workspace: \(String(cString: strerror(errno)))") }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(path, 0o755)
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        chmod(tmp, 0o755)
    }

    /// The TMPDIR for drills run in this workspace.
    public var tmp: String { path + "/tmp" }

    /// A path inside the workspace.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    /// Entries left in the drill TMPDIR (should be none after a drill).
    public func leftoversInTmp() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []
    }

    /// Live PostgreSQL processes whose command line mentions this workspace (should be none after a drill).
    public func leftoverServerProcesses() -> [String] {
        LiveProcesses.all().filter { $0.commandLine.contains(path) && $0.commandLine.contains("postgres") }
            .map { "\($0.pid): \($0.commandLine)" }
    }

    /// Removes the workspace.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A problem in the test set-up itself.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
