import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// `config:` with real age and moto: configuration and secrets backups verified by names and
/// fingerprints, the keys a restore needs resolved, and no value ever in any output.
@Suite("Configuration and secrets backups", .serialized)
struct ConfigBackupTests {
    static let secrets = ["postgres://app:db-pass-7f3k2@db.internal/app", "smtp-pass-9x8y7z", "sk_live_51HqLyjWDarjtT1zdp7dc"]
    static let fingerprintKey = "drill-held-fingerprint-key-0123"
    static let environment = SampleDrill.passwordEnvironment.merging(
        ["TEST_S3_KEY": "fixture", "TEST_S3_SECRET": "fixture-secret", "FP_KEY": fingerprintKey]) { $1 }

    static func envFile(smtpPassword: String = secrets[1]) -> String {
        """
        # runtime configuration
        DATABASE_URL=\(secrets[0])
        export SMTP_HOST=smtp.internal
        SMTP_PASSWORD="\(smtpPassword)"
        STRIPE_KEY='\(secrets[2])'

        """
    }

    /// Writes `text`, encrypts it to `recipient` as NAME.age and records it (the sidecar beside the .age file).
    static func recordedBundle(_ workspace: TestWorkspace, _ text: String, name: String, recipient: String, format: String = "dotenv") async throws -> String {
        let plain = try workspace.write(name, text)
        let encrypted = plain + ".age"
        try? FileManager.default.removeItem(atPath: encrypted)
        let made = try await ProcessRunner.run(ToolInvocation(executable: "age", arguments: ["-r", recipient, "-o", encrypted, plain]))
        guard made.succeeded else { throw TestSupportError("age: \(made.standardError)") }
        let recorded = try await DrillCLI.run(
            ["record", "--config", format, plain, "--stored", encrypted, "--fingerprint-key", "env:FP_KEY"], workspace: workspace, environment: Self.environment)
        guard recorded.exitCode == 0 else { throw TestSupportError("record --config: \(recorded.allOutput)") }
        return encrypted
    }

    static func upload(_ server: MotoServer, _ encrypted: String, key: String) async throws {
        try await server.fixture(["put", "cfg", key, "--file", encrypted])
        try await server.fixture(["put", "cfg", key + ".restore-drill.json", "--file", encrypted + ".restore-drill.json"])
    }

    static func configLines(_ server: MotoServer, identity: String, required: [String], keys: [String] = []) -> [String] {
        [
            "fingerprint_key: env:FP_KEY", "bundles:", "  - name: runtime-env", "    location: s3://cfg/app.env.age", "    format: dotenv",
            "    endpoint: \(server.endpoint)", "    access_key: env:TEST_S3_KEY", "    secret_key: env:TEST_S3_SECRET",
            "    encryption: {tool: age, identity: file:\(identity)}", "    required_keys: [\(required.map { "'\($0)'" }.joined(separator: ", "))]",
        ] + (keys.isEmpty ? [] : ["keys:"] + keys.map { "  - " + $0 })
    }

    /// Every output and report file, searched for every secret value.
    static func leaks(_ sample: SampleDrill, _ run: DrillCLI.Run, values: [String]) -> [String] {
        var texts = [run.allOutput]
        for file in (try? FileManager.default.contentsOfDirectory(atPath: sample.reports)) ?? [] {
            texts.append((try? String(contentsOfFile: sample.reports + "/" + file, encoding: .utf8)) ?? "")
        }
        return values.filter { value in texts.contains { $0.contains(value) } }
    }

    @Test func anEncryptedEnvBundleIsVerifiedByNamesAndFingerprintsAndNoValueIsShown() async throws {
        var sample = try await SampleDrill.prepare("config-env")
        defer { sample.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "cfg"])
            let key = try await S3BackupTests.ageKey(sample.workspace, name: "cfg.agekey")
            try await Self.upload(server, try await Self.recordedBundle(sample.workspace, Self.envFile(), name: "app.env", recipient: key.recipient), key: "app.env.age")
            sample.drill.config = Self.configLines(
                server, identity: key.identity, required: ["DATABASE_URL", "SMTP_*", "STRIPE_KEY"],
                keys: ["{name: vault token, reference: 'command:printf vault-token-4242', timeout: 5s}"])

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let cases = try sample.cases(ofSuite: "config")
            #expect(cases.count == 6 && cases.allSatisfy { $0["status"] as? String == "passed" }, "\(cases)")
            #expect((cases.first { ($0["name"] as? String)?.hasSuffix("parses as dotenv") == true }?["output"] as? String) == "4 value(s): DATABASE_URL, SMTP_HOST, SMTP_PASSWORD, STRIPE_KEY")
            #expect((cases.first { ($0["name"] as? String)?.hasSuffix("recorded at backup time") == true }?["output"] as? String) == "4 value(s) match")
            #expect(Self.leaks(sample, run, values: Self.secrets + ["vault-token-4242", Self.fingerprintKey]).isEmpty)
            #expect(sample.workspace.leftoversInTmp().isEmpty, "the decrypted bundle was left behind: \(sample.workspace.leftoversInTmp())")
        }
    }

    @Test func missingEmptyAndChangedValuesAWrongKeyAndAnUnreachableVaultAreEachCaught() async throws {
        var sample = try await SampleDrill.prepare("config-faults")
        defer { sample.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "cfg"])
            let key = try await S3BackupTests.ageKey(sample.workspace, name: "cfg.agekey")
            let cases = { (suffix: String) throws -> [String: Any]? in try sample.cases(ofSuite: "config").first { ($0["name"] as? String)?.hasSuffix(suffix) == true } }

            // An emptied secret, a key nobody wrote, and a vault that does not answer in time.
            try await Self.upload(
                server, try await Self.recordedBundle(sample.workspace, Self.envFile(smtpPassword: ""), name: "app.env", recipient: key.recipient), key: "app.env.age")
            sample.drill.config = Self.configLines(
                server, identity: key.identity, required: ["DATABASE_URL", "SMTP_*", "SENTRY_DSN"], keys: ["{name: vault, reference: 'command:sleep 5', timeout: 1s}"])
            let first = try await sample.run(environment: Self.environment)
            #expect(first.exitCode == 1, "\(first.allOutput)")
            #expect((try cases("required keys are present and not empty")?["message"] as? String)?.contains("missing: SENTRY_DSN; empty: SMTP_PASSWORD") == true)
            #expect((try cases("resolves within 1.0s")?["message"] as? String)?.contains("did not resolve within 1.0s") == true, "\((try? sample.cases(ofSuite: "config")) ?? [])")

            // The secret rotated in the stored bundle, the sidecar's checksum updated but not its fingerprints.
            let rotated = try await Self.recordedBundle(sample.workspace, Self.envFile(smtpPassword: "rotated-smtp-pass-1"), name: "new.env", recipient: key.recipient)
            let old = try await Self.recordedBundle(sample.workspace, Self.envFile(), name: "app.env", recipient: key.recipient)
            var sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: old + ".restore-drill.json"))) as! [String: Any]
            let fresh = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: rotated + ".restore-drill.json"))) as! [String: Any]
            sidecar["sha256"] = fresh["sha256"]
            sidecar["size"] = fresh["size"]
            try JSONSerialization.data(withJSONObject: sidecar).write(to: URL(fileURLWithPath: rotated + ".restore-drill.json"))
            try await Self.upload(server, rotated, key: "app.env.age")
            sample.drill.config = Self.configLines(server, identity: key.identity, required: ["DATABASE_URL"])
            let second = try await sample.run(environment: Self.environment)
            #expect(second.exitCode == 1, "\(second.allOutput)")
            #expect((try cases("recorded at backup time")?["message"] as? String)?.contains("(changed: SMTP_PASSWORD)") == true, "\((try? sample.cases(ofSuite: "config")) ?? [])")

            // A key the bundle was not encrypted to: an error naming the reference, not a bad bundle.
            let other = try await S3BackupTests.ageKey(sample.workspace, name: "other.agekey")
            sample.drill.config = Self.configLines(server, identity: other.identity, required: ["DATABASE_URL"])
            let third = try await sample.run(environment: Self.environment)
            #expect(third.exitCode == 3, "\(third.allOutput)")
            let decrypt = try cases("decrypts with age")
            #expect(decrypt?["status"] as? String == "error" && (decrypt?["message"] as? String)?.contains("file:\(other.identity)") == true, "\(String(describing: decrypt))")
            for run in [first, second, third] {
                #expect(Self.leaks(sample, run, values: Self.secrets + ["rotated-smtp-pass-1", Self.fingerprintKey]).isEmpty)
            }
        }
    }

    @Test func aManifestBundleMustHoldTheSecretsItsWorkloadsName() async throws {
        var sample = try await SampleDrill.prepare("config-k8s")
        defer { sample.remove() }
        let manifests = sample.workspace.file("manifests")
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        _ = try sample.workspace.write(
            "manifests/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: app-db}\ndata:\n  password: \(Data(Self.secrets[1].utf8).base64EncodedString())\n")
        _ = try sample.workspace.write(
            "manifests/deployment.yaml",
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api}
            spec:
              template:
                spec:
                  containers:
                    - name: api
                      envFrom: [{secretRef: {name: app-db}}]
                      env:
                        - {name: STRIPE, valueFrom: {secretKeyRef: {name: payments, key: stripe}}}
                        - {name: OPTIONAL, valueFrom: {secretKeyRef: {name: extras, key: x, optional: true}}}

            """)
        let tarball = sample.workspace.file("manifests.tar.gz")
        let tarred = try await ProcessRunner.run(ToolInvocation(executable: "tar", arguments: ["-czf", tarball, "-C", manifests, "secret.yaml", "deployment.yaml"]))
        #expect(tarred.succeeded)
        let recorded = try await DrillCLI.run(
            ["record", "--config", "kubernetes", tarball, "--fingerprint-key", "env:FP_KEY"], workspace: sample.workspace, environment: Self.environment)
        #expect(recorded.exitCode == 0, "\(recorded.allOutput)")
        sample.drill.config = [
            "fingerprint_key: env:FP_KEY", "bundles:", "  - {name: manifests, location: \(tarball), format: kubernetes, required_keys: ['Secret/app-db/password']}",
        ]

        let run = try await sample.run(environment: Self.environment)

        #expect(run.exitCode == 1, "\(run.allOutput)")
        let cases = try sample.cases(ofSuite: "config")
        let status = { (suffix: String) in cases.first { ($0["name"] as? String)?.hasSuffix(suffix) == true }?["status"] as? String }
        #expect(status("parses as kubernetes") == "passed" && status("required keys are present and not empty") == "passed", "\(cases)")
        #expect(status("recorded at backup time") == "passed", "\(cases)")
        let references = cases.first { ($0["name"] as? String)?.hasSuffix("is in the bundle") == true }
        #expect((references?["message"] as? String) == "Deployment/api needs Secret payments, which the bundle does not hold", "\(String(describing: references))")
        #expect(Self.leaks(sample, run, values: [Self.secrets[1]]).isEmpty)
    }
}
