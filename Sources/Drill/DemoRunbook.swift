import ConfigBundles
import DrillSupport
import Foundation
import HTTPClient
import Provisioning

/// The rest of the runbook in the demo: a configuration bundle (the sample app's `.env`,
/// age-encrypted when `age` is installed, recorded with fingerprints) and, when the moto S3
/// server is installed, a bucket kept as the runbook asks, holding a copy of the backup, whose
/// posture the drill checks.
enum DemoRunbook {
    static let fingerprintVariable = "RESTORE_DRILL_DEMO_FINGERPRINT_KEY"
    static let s3KeyVariable = "RESTORE_DRILL_DEMO_S3_KEY"
    static let s3SecretVariable = "RESTORE_DRILL_DEMO_S3_SECRET"

    /// Writes, encrypts and records the sample app's configuration; returns the `config:` section.
    static func configSection(workspace: String, adminPassword: String) async throws -> String {
        let plain = workspace + "/app.env"
        let sessionSecret = UUID().uuidString + UUID().uuidString
        try """
            # The sample app's runtime configuration, backed up with the database.
            DATABASE_URL=postgres://app:\(adminPassword)@db.internal:5432/app
            ADMIN_EMAIL=\(SampleDatabase.adminEmail)
            SESSION_SECRET=\(sessionSecret)
            SMTP_HOST=smtp.internal

            """.write(toFile: plain, atomically: true, encoding: .utf8)
        chmod(plain, 0o600)
        SecretMasker.shared.register(sessionSecret)
        setenv(fingerprintVariable, UUID().uuidString, 1)
        var stored = plain
        var encryption = ""
        if let keygen = ExecutableLookup.find("age-keygen"), let age = ExecutableLookup.find("age") {
            let identity = workspace + "/config.agekey"
            let made = try await ProcessRunner.run(ToolInvocation(executable: keygen, arguments: ["-o", identity], displayName: "age-keygen"))
            if made.succeeded, let line = made.standardError.split(separator: "\n").first(where: { $0.hasPrefix("Public key: ") }) {
                let encrypted = plain + ".age"
                let result = try await ProcessRunner.run(
                    ToolInvocation(executable: age, arguments: ["-r", String(line.dropFirst("Public key: ".count)), "-o", encrypted, plain], displayName: "age"))
                if result.succeeded {
                    stored = encrypted
                    encryption = "\n      encryption: {tool: age, identity: 'file:\(identity)'}"
                }
            }
        }
        _ = try await ConfigRecording.record(bundle: plain, format: "dotenv", stored: stored, fingerprintKey: "env:\(fingerprintVariable)", output: nil)
        if stored != plain { try? FileManager.default.removeItem(atPath: plain) }
        return """
            config:
              fingerprint_key: env:\(fingerprintVariable)
              bundles:
                - name: app-env
                  location: \(stored)
                  format: dotenv\(encryption)
                  required_keys: [DATABASE_URL, ADMIN_EMAIL, SESSION_SECRET, "SMTP_*"]
              keys:
                - {name: demo admin password, reference: 'env:\(DemoDrill.passwordVariable)', timeout: 5s}
            """
    }

    /// A moto server with a bucket kept as the runbook asks (versioned, a lifecycle rule longer
    /// than the retention window, default encryption, public access blocked) holding the backup.
    struct Bucket {
        var endpoint: String
        var task: Task<Void, Never>

        func stop() async {
            task.cancel()
            await task.value
        }
    }

    /// Starts it when moto and the project's fixture script are here; nil otherwise.
    static func startBucket(backup: String, progress: any DrillProgress) async -> Bucket? {
        guard let moto = ExecutableLookup.find("moto_server"), let script = ResourceLocator.find("fixtures/objects/s3fixture.py"),
            let python = ExecutableLookup.find("python3")
        else {
            progress.detail("posture: skipped (the moto S3 server is not installed: pip install 'moto[server]')")
            return nil
        }
        let port = FreePort.pick()
        let endpoint = "http://127.0.0.1:\(port)"
        let server = ToolInvocation(
            executable: moto, arguments: ["-H", "127.0.0.1", "-p", String(port)], displayName: "moto_server", gracePeriod: .seconds(2))
        let task = Task { _ = try? await ProcessRunner.run(server) }
        let bucket = Bucket(endpoint: endpoint, task: task)
        var ready = false
        for _ in 0..<100 where !ready {
            if let answer = try? await HTTPClient.send(HTTPRequest(url: endpoint + "/", timeout: .seconds(2))), answer.status < 500 { ready = true } else {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        // Random: credentials are registered with the masker once resolved, and a short word would be masked everywhere.
        let accessKey = "DEMO" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).uppercased()
        let secretKey = UUID().uuidString + UUID().uuidString
        setenv(s3KeyVariable, accessKey, 1)
        setenv(s3SecretVariable, secretKey, 1)
        let steps: [[String]] = [
            ["create-bucket", "demo-backups", "--versioned"],
            ["put", "demo-backups", "nightly/" + (backup as NSString).lastPathComponent, "--file", backup],
            ["configure", "demo-backups", "--expire-days", "400", "--noncurrent-days", "60", "--rule-prefix", "nightly/", "--encryption", "AES256", "--block-public"],
        ]
        for step in steps where ready {
            let result = try? await ProcessRunner.run(
                ToolInvocation(
                    executable: python, arguments: [script, "--endpoint", endpoint, "--access-key", accessKey, "--secret-key", secretKey] + step,
                    displayName: "s3fixture"))
            if result?.succeeded != true { ready = false }
        }
        guard ready else {
            progress.detail("posture: skipped (the demo bucket could not be set up on \(endpoint))")
            await bucket.stop()
            return nil
        }
        return bucket
    }

    static func postureSection(_ bucket: Bucket) -> String {
        """
        posture:
          retention: 35d     # backups kept at least this long (covers the RPO and the PITR window)
          buckets:
            - {store: s3://demo-backups/nightly/, endpoint: \(bucket.endpoint), access_key: env:\(s3KeyVariable), secret_key: env:\(s3SecretVariable)}
        """
    }
}
