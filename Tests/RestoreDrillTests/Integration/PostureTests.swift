import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// `posture:` against moto: each rule passing on a well-kept bucket and failing, with the
/// configuration named, on a loosely kept one; access and the write probe with real IAM users.
@Suite("Bucket posture", .serialized)
struct PostureTests {
    static let environment = SampleDrill.passwordEnvironment.merging(["TEST_S3_KEY": "fixture", "TEST_S3_SECRET": "fixture-secret"]) { $1 }

    static func bucketLine(_ server: MotoServer, _ store: String, key: String = "env:TEST_S3_KEY", secret: String = "env:TEST_S3_SECRET") -> String {
        "  - {store: \(store), endpoint: \(server.endpoint), access_key: \(key), secret_key: \(secret)}"
    }

    static func posture(_ sample: SampleDrill) throws -> [String: [String: Any]] {
        let cases = try sample.cases(ofSuite: "posture")
        return Dictionary(cases.map { (($0["name"] as? String) ?? "", $0) }) { first, _ in first }
    }

    /// The case whose name ends with `rule`.
    static func rule(_ cases: [String: [String: Any]], _ rule: String) -> [String: Any]? {
        cases.first { $0.key.hasSuffix(rule) }?.value
    }

    @Test func aWellKeptBucketPassesEveryRuleWithWhatItObserved() async throws {
        var sample = try await SampleDrill.prepare("posture-kept")
        defer { sample.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "kept", "--versioned"])
            try await server.fixture(["put", "kept", "backups/app.dump", "--text", "a backup"])
            try await server.fixture([
                "configure", "kept", "--expire-days", "400", "--noncurrent-days", "60", "--rule-prefix", "backups/", "--other-rule", "tmp/:1",
                "--encryption", "aws:kms", "--kms-key", "arn:aws:kms:us-east-1:123456789012:key/drill-key", "--block-public", "--private-policy",
            ])
            sample.drill.posture = ["retention: 35d", "kms_key: key/drill-key", "buckets:", Self.bucketLine(server, "s3://kept/backups/")]

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let cases = try Self.posture(sample)
            #expect(cases.count == 6, "\(cases.keys.sorted())")
            #expect(cases.values.allSatisfy { $0["status"] as? String == "passed" }, "\(cases)")
            #expect((Self.rule(cases, "versioning is enabled")?["output"] as? String)?.hasPrefix("Status Enabled") == true)
            let lifecycle = Self.rule(cases, "lifecycle rules keep backups for 35 days")?["output"] as? String ?? ""
            #expect(lifecycle.contains("drill-rule on 'backups/': current objects expire after 400 days, noncurrent versions expire after 60 days"), "\(lifecycle)")
            #expect(lifecycle.contains("ignored: other-rule (prefix tmp/, not the drill's)"), "\(lifecycle)")
            #expect((Self.rule(cases, "default encryption is aws:kms with key key/drill-key")?["output"] as? String)?.contains("aws:kms (key arn:aws:kms:us-east-1:123456789012:key/drill-key)") == true, "\(cases)")
            #expect((Self.rule(cases, "can list and read")?["output"] as? String)?.contains("read the first byte of backups/app.dump") == true, "\(cases)")
        }
    }

    @Test func aLooselyKeptBucketFailsEachRuleNamingItsConfiguration() async throws {
        var sample = try await SampleDrill.prepare("posture-loose")
        defer { sample.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "loose"])
            try await server.fixture(["put", "loose", "backups/app.dump", "--text", "a backup"])
            try await server.fixture(["configure", "loose", "--expire-days", "7", "--rule-prefix", "backups/", "--public-read"])
            sample.drill.posture = ["retention: 35d", "buckets:", Self.bucketLine(server, "s3://loose/backups/")]

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 1, "\(run.allOutput)")
            let cases = try Self.posture(sample)
            let message = { (rule: String) in Self.rule(cases, rule)?["message"] as? String ?? "" }
            let status = { (rule: String) in Self.rule(cases, rule)?["status"] as? String }
            #expect(status("versioning is enabled") == "failed" && message("versioning is enabled").contains("versioning of s3://loose is never enabled"))
            #expect(status("lifecycle rules keep backups for 35 days") == "failed")
            #expect(message("lifecycle rules keep backups for 35 days").contains("rule drill-rule expires current objects after 7 days: backups must be kept at least 35 days"), "\(cases)")
            #expect(status("default encryption is on") == "failed" && message("default encryption is on").contains("s3://loose has no default encryption"))
            #expect(status("public access is blocked") == "failed" && message("public access is blocked").contains("s3://loose has no public access block"))
            #expect(message("the bucket policy grants nothing to everyone").contains("allows statement PublicRead (s3:GetObject) to any principal"), "\(cases)")
            // The restore and the checks still ran: one report names every problem.
            #expect(try sample.cases(ofSuite: "checks.app-example").filter { $0["status"] as? String == "passed" }.count == 7)
        }
    }

    @Test func theWriteProbeAndUnreadableSettingsAreJudgedWithRealCredentials() async throws {
        var sample = try await SampleDrill.prepare("posture-iam")
        defer { sample.remove() }
        // moto checks signatures after the first 4 requests (its readiness probe, the admin user, its policy, its key).
        try await MotoServer.with(authActions: 4) { server in
            let keys = try await server.fixture(["iam-users"]).split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
            try await server.fixture(["create-bucket", "guarded", "--versioned"], accessKey: keys[0], secretKey: keys[1])
            try await server.fixture(["put", "guarded", "backups/app.dump", "--text", "a backup"], accessKey: keys[0], secretKey: keys[1])
            let environment = Self.environment.merging([
                "ADMIN_KEY": keys[0], "ADMIN_SECRET": keys[1], "READER_KEY": keys[2], "READER_SECRET": keys[3], "NARROW_KEY": keys[4], "NARROW_SECRET": keys[5],
            ]) { $1 }
            func drill(_ user: String) async throws -> [String: [String: Any]] {
                sample.drill.posture = [
                    "retention: 1d", "write_probe: true", "buckets:",
                    // The whole bucket: moto 5.2.1 with IAM checks refuses the signature of any
                    // query value holding a "/" (a listing's prefix), botocore's as well as ours.
                    Self.bucketLine(server, "s3://guarded", key: "env:\(user)_KEY", secret: "env:\(user)_SECRET"),
                ]
                _ = try await sample.run(environment: environment)
                return try Self.posture(sample)
            }

            let reader = try await drill("READER")
            #expect(Self.rule(reader, "cannot write")?["status"] as? String == "passed", "\(reader)")
            #expect((Self.rule(reader, "cannot write")?["output"] as? String)?.contains("answered 403") == true, "\(reader)")

            let admin = try await drill("ADMIN")
            #expect(Self.rule(admin, "cannot write")?["status"] as? String != "passed", "\(admin)")
            #expect(Self.rule(admin, "versioning is enabled")?["status"] as? String == "passed", "\(admin)")

            // Allowed to list and read objects only: the settings are errors naming the action, never a pass.
            let narrow = try await drill("NARROW")
            let versioning = Self.rule(narrow, "versioning is enabled")
            #expect(versioning?["status"] as? String == "error", "\(narrow)")
            #expect((versioning?["message"] as? String)?.contains("grant them s3:GetBucketVersioning") == true, "\(String(describing: versioning))")
            #expect(Self.rule(narrow, "can list and read")?["status"] as? String == "passed", "\(narrow)")
            #expect(!(try String(contentsOfFile: sample.reports + "/report.json", encoding: .utf8)).contains(keys[5]), "a secret key reached the report")
        }
    }
}
