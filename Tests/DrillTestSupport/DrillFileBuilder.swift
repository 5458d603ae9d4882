import Foundation

/// Writes drill files for tests with the sample app's defaults.
public struct DrillFileBuilder: Sendable {
    public var name = "test-drill"
    public var artifact: String
    /// `backup.location` when it is not the artifact's path (an `s3://` URL, a glob).
    public var location: String?
    public var rpo = "24h"
    public var rto = "15m"
    public var backupExtra: [String] = []
    public var postgresExtra: [String] = []
    public var checks: [String] = [RepositoryPaths.checks + "/app-example"]
    public var variables: [String] = ["admin_email: admin@example.com", "admin_password: env:TEST_ADMIN_PASSWORD"]
    public var reportsDirectory: String
    /// Lines under `services:` (indented by the builder), empty for none.
    public var services: [String] = []
    /// Lines under `objects:` (indented by the builder), empty for none.
    public var objects: [String] = []
    /// Lines under `posture:` (indented by the builder), empty for none.
    public var posture: [String] = []
    /// Lines under `config:` (indented by the builder), empty for none.
    public var config: [String] = []

    /// A drill of `artifact` writing reports into `reportsDirectory`.
    public init(artifact: String, reportsDirectory: String) {
        self.artifact = artifact
        self.reportsDirectory = reportsDirectory
    }

    /// The YAML text.
    public var yaml: String {
        var lines = ["name: \(name)", "targets:", "  rpo: \(rpo)", "  rto: \(rto)", "backup:", "  format: pg_dump", "  location: \(location ?? "file://" + artifact)"]
        lines += backupExtra.map { "  " + $0 }
        lines += ["postgres:", "  provisioner: pg_ctl"] + postgresExtra.map { "  " + $0 }
        lines += ["variables:"] + variables.map { "  " + $0 }
        lines += services.isEmpty ? [] : ["services:"] + services.map { "  " + $0 }
        lines += objects.isEmpty ? [] : ["objects:"] + objects.map { "  " + $0 }
        lines += posture.isEmpty ? [] : ["posture:"] + posture.map { "  " + $0 }
        lines += config.isEmpty ? [] : ["config:"] + config.map { "  " + $0 }
        lines += checks.isEmpty ? [] : ["checks:"] + checks.map { "  - \($0)" }
        lines += ["reports:", "  dir: \(reportsDirectory)"]
        return lines.joined(separator: "\n") + "\n"
    }
}
