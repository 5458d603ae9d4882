import Foundation
import Restore

/// A test's drill of the sample app: its workspace, its own copy of a sample backup, and a
/// drill file it can adjust before running the built executable.
public struct SampleDrill: Sendable {
    /// The environment that gives the sample admin password to `env:TEST_ADMIN_PASSWORD`.
    public static let passwordEnvironment = ["TEST_ADMIN_PASSWORD": SampleBackupCache.adminPassword]

    public let workspace: TestWorkspace
    /// The test's copy of the backup (break it freely).
    public let artifact: String
    /// The drill file to write; adjust before `run`.
    public var drill: DrillFileBuilder

    /// A drill of `artifact` in `workspace` (for tests that make their own backup).
    public init(workspace: TestWorkspace, artifact: String, drill: DrillFileBuilder) {
        self.workspace = workspace
        self.artifact = artifact
        self.drill = drill
    }

    /// Copies a sample backup into a new workspace.
    public static func prepare(
        _ label: String, format: DumpFormat = .custom, compression: Compression = .none, variant: SampleVariant = .plain
    ) async throws -> SampleDrill {
        let workspace = try TestWorkspace(label)
        let artifact = try await SampleBackupCache.shared.copy(format: format, compression: compression, variant: variant, into: workspace)
        return SampleDrill(workspace: workspace, artifact: artifact, drill: DrillFileBuilder(artifact: artifact, reportsDirectory: workspace.file("reports")))
    }

    /// Where the drill writes its reports.
    public var reports: String { workspace.file("reports") }

    /// Writes the drill file and runs `restore-drill run [OPTIONS] drill.yaml`.
    public func run(
        options: [String] = [], environment: [String: String] = passwordEnvironment,
        onStart: (@Sendable (Int32) -> Void)? = nil, onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> DrillCLI.Run {
        let path = try workspace.write("drill.yaml", drill.yaml)
        return try await DrillCLI.run(["run"] + options + [path], workspace: workspace, environment: environment, onStart: onStart, onLine: onLine)
    }

    /// The parsed report.json.
    public func report() throws -> [String: Any] { try DrillCLI.report(in: reports) }

    /// The cases of one report suite.
    public func cases(ofSuite name: String) throws -> [[String: Any]] {
        let suites = try report()["suites"] as? [[String: Any]] ?? []
        return suites.first { $0["name"] as? String == name }?["cases"] as? [[String: Any]] ?? []
    }

    /// Suite names in report order.
    public func suiteNames() throws -> [String] {
        (try report()["suites"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    /// Removes the workspace.
    public func remove() { workspace.remove() }
}
