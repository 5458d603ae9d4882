import Foundation

/// Paths of the repository the tests run from.
public enum RepositoryPaths {
    /// The package root (found from this source file's location).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `fixtures/app`.
    public static var fixtures: String { root + "/fixtures/app" }
    /// `checks/`.
    public static var checks: String { root + "/checks" }
    /// The JUnit schema reports are validated against.
    public static var junitSchema: String { root + "/Tests/Schemas/jenkins-junit.xsd" }
    /// The built `restore-drill` executable (next to the test bundle).
    public static var executable: String {
        let runner = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        let candidates = [runner.appendingPathComponent("restore-drill").path, root + "/.build/debug/restore-drill"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }
}
