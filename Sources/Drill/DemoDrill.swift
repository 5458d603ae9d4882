import DrillSupport
import Foundation
import Provisioning
import Restore

/// `restore-drill demo`: builds the sample app, backs it up with pg_dump, and drills that backup.
public enum DemoDrill {
    /// Environment variable the demo's drill file reads the admin password from.
    public static let passwordVariable = "RESTORE_DRILL_DEMO_ADMIN_PASSWORD"

    /// Runs the demo. The backup and drill file live in a temp dir removed afterwards.
    public static func run(reportsDirectory: String, options: DrillOptions, progress: any DrillProgress) async throws -> DrillOutcome {
        guard let fixtures = ResourceLocator.find("fixtures/app"), let checks = ResourceLocator.find("checks") else {
            throw ConfigError(
                file: "restore-drill demo",
                message: "cannot find the project's fixtures/app and checks folders; run from the repository or set RESTORE_DRILL_HOME to it")
        }
        let workspace = try ScratchDirectory.create(root: nil, owner: nil)
        defer { _ = ScratchDirectory.remove(workspace) }
        progress.phaseStarted("demo: make sample backup")
        let start = ContinuousClock.now
        // The Supabase project schedules a pg_cron job when pg_cron is installed here, as real ones do.
        let major = await ServerBinaries.installedMajors().first ?? 0
        let scheduler = await SampleDatabase.schedulerInstalled(major: major)
        let backup = try await SampleDatabase.makeBackup(fixtures: fixtures, into: workspace, scheduler: scheduler) { progress.detail($0) }
        progress.phaseFinished(
            "demo: make sample backup", status: .passed, seconds: (ContinuousClock.now - start).seconds,
            message: "\((backup.artifactPath as NSString).lastPathComponent) from PostgreSQL \(backup.serverVersion)")
        setenv(passwordVariable, backup.adminPassword, 1)
        let config = try await DemoRunbook.configSection(workspace: workspace, adminPassword: backup.adminPassword)
        let bucket = await DemoRunbook.startBucket(backup: backup.artifactPath, progress: progress)
        let drillFile = workspace + "/demo-drill.yaml"
        let extra = [config] + (bucket.map { [DemoRunbook.postureSection($0)] } ?? [])
        try (drillYAML(artifact: backup.artifactPath, checks: checks, app: fixtures + "/app.py", preload: scheduler ? ["pg_cron"] : []) + "\n"
            + extra.joined(separator: "\n") + "\n")
            .write(toFile: drillFile, atomically: true, encoding: .utf8)
        var demoOptions = options
        demoOptions.reportsDirectory = reportsDirectory
        let outcome = await DrillRunner(options: demoOptions, progress: progress).run(drillFile: drillFile)
        await bucket?.stop()
        return outcome
    }

    static func drillYAML(artifact: String, checks: String, app: String, preload: [String] = []) -> String {
        let preloadLine = preload.isEmpty ? "" : "\n  preload: [\(preload.joined(separator: ", "))]   # the sample's pg_cron job is kept from running"
        return """
        # Written by restore-drill demo.
        name: demo-app-nightly
        targets:
          rpo: 24h
          rto: 15m
        backup:
          format: pg_dump
          location: file://\(artifact)
        postgres:
          provisioner: pg_ctl
          version: auto\(preloadLine)
        variables:
          admin_email: \(SampleDatabase.adminEmail)
          admin_password: env:\(passwordVariable)
          supabase_admin_email: \(SampleDatabase.adminEmail)
          supabase_admin_password: env:\(passwordVariable)
        services:
          # The fixture application, started against the restored database for the http checks.
          - name: app
            run: \(app)
            ready: {url: /health}
            start_timeout: 20s
        checks:
          - \(checks)/postgres-core
          - \(checks)/supabase
          - \(checks)/app-example
        """
    }
}
