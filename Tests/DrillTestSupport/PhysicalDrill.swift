import Foundation

/// A test's drill of a `PhysicalFixture`: a drill file with a recovery target and a check that
/// the restored copy holds exactly the rows the target must give.
public struct PhysicalDrill: Sendable {
    public let workspace: TestWorkspace
    public var catalog: String
    public var archive: String
    /// YAML for `recovery.target` (`latest`, `{time: '...'}`...).
    public var target = "latest"
    /// Rows `drill_events` must hold after recovery; nil: no row check.
    public var expectedRows: Int?
    public var rpo = "1h"
    public var extraBackup: [String] = []
    public var extraRecovery: [String] = []
    public var extraChecks: [String] = []
    /// `variables:` entries (`name: value`).
    public var variables: [String] = []

    /// A drill of `fixture` in a new workspace.
    public init(_ label: String, fixture: PhysicalFixture) throws {
        workspace = try TestWorkspace(label)
        catalog = fixture.catalog
        archive = fixture.archive
    }

    public var reports: String { workspace.file("reports") }

    /// Gives this drill its own copy of `fixture`'s archive, changed by `edit` (given the copy's folder).
    public mutating func breakArchive(of fixture: PhysicalFixture, _ edit: (String) throws -> Void) throws {
        archive = workspace.file("archive")
        try fixture.copyArchive(to: archive)
        try edit(archive)
    }

    /// The drill file text.
    public func yaml() throws -> String {
        var checks = extraChecks
        if let expectedRows {
            checks.append(
                try workspace.write(
                    "checks/rows.yaml",
                    "id: pitr.rows\nname: Rows present at the target\nquery: SELECT count(*)::text FROM drill_events\nexpect: {value: '\(expectedRows)'}\n"))
        }
        var lines = [
            "name: pitr-test", "targets: {rpo: \(rpo), rto: 15m}", "backup:", "  format: basebackup", "  location: \(catalog)",
            "  wal_archive: \(archive)",
        ]
        lines += extraBackup.map { "  " + $0 }
        lines += variables.isEmpty ? [] : ["variables:"] + variables.map { "  " + $0 }
        lines += ["postgres: {provisioner: pg_ctl}", "recovery:", "  target: \(target)", "  timeout: 5m"] + extraRecovery.map { "  " + $0 }
        lines += checks.isEmpty ? [] : ["checks:"] + checks.map { "  - \($0)" }
        lines += ["reports: {dir: \(reports)}"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Runs `restore-drill COMMAND [OPTIONS] drill.yaml`.
    public func run(_ command: String = "run", options: [String] = [], environment: [String: String] = [:]) async throws -> DrillCLI.Run {
        let path = try workspace.write("drill.yaml", try yaml())
        return try await DrillCLI.run([command] + options + [path], workspace: workspace, environment: environment)
    }

    public func report() throws -> [String: Any] { try DrillCLI.report(in: reports) }

    public func cases(ofSuite name: String) throws -> [[String: Any]] {
        let suites = try report()["suites"] as? [[String: Any]] ?? []
        return suites.first { $0["name"] as? String == name }?["cases"] as? [[String: Any]] ?? []
    }

    public func remove() { workspace.remove() }
}
