import DrillSupport
import DrillTestSupport
import Foundation
import Restore
import Testing

/// Backups where they live: pg_dump artifacts in a moto bucket, age-encrypted, chosen among
/// several; the bucket is only ever read.
@Suite("Backups in S3", .serialized)
struct S3BackupTests {
    static let environment = SampleDrill.passwordEnvironment.merging(["TEST_S3_KEY": "fixture", "TEST_S3_SECRET": "fixture-secret"]) { $1 }

    /// An age key pair in the workspace: the identity file and its recipient.
    static func ageKey(_ workspace: TestWorkspace, name: String) async throws -> (identity: String, recipient: String) {
        let identity = workspace.file(name)
        let made = try await ProcessRunner.run(ToolInvocation(executable: "age-keygen", arguments: ["-o", identity]))
        guard made.succeeded, let line = made.standardError.split(separator: "\n").first(where: { $0.hasPrefix("Public key: ") }) else {
            throw TestSupportError("age-keygen: \(made.standardError)")
        }
        return (identity, String(line.dropFirst("Public key: ".count)))
    }

    /// Encrypts the sample dump to `recipient`, writes the sidecar a backup job records for the
    /// stored (encrypted) bytes, taken at `createdAt`; returns the two local files.
    static func encryptedBackup(
        _ sample: SampleDrill, recipient: String, name: String, createdAt: Date = Date(), flipByte: Bool = false
    ) async throws -> (artifact: String, sidecar: String) {
        let encrypted = sample.workspace.file(name)
        let result = try await ProcessRunner.run(ToolInvocation(executable: "age", arguments: ["-r", recipient, "-o", encrypted, sample.artifact]))
        guard result.succeeded else { throw TestSupportError("age: \(result.standardError)") }
        var metadata = try BackupMetadata.load(path: BackupMetadata.sidecarPath(for: sample.artifact))
        let digest = try await ContentDigest.of(path: encrypted)
        metadata.artifact = name
        metadata.sha256 = digest.sha256
        metadata.size = digest.size.bytes
        metadata.createdAt = createdAt
        let sidecar = BackupMetadata.sidecarPath(for: encrypted)
        try metadata.encoded().write(to: URL(fileURLWithPath: sidecar))
        if flipByte {
            // Damaged after it was recorded: in the middle of the ciphertext.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: encrypted))
            bytes[bytes.count / 2] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: encrypted))
        }
        return (encrypted, sidecar)
    }

    static func upload(_ server: MotoServer, _ files: (artifact: String, sidecar: String), key: String) async throws {
        try await server.fixture(["put", "backups", key, "--file", files.artifact])
        try await server.fixture(["put", "backups", key + ".restore-drill.json", "--file", files.sidecar])
    }

    static func s3Lines(_ server: MotoServer, identity: String) -> [String] {
        [
            "endpoint: \(server.endpoint)", "access_key: env:TEST_S3_KEY", "secret_key: env:TEST_S3_SECRET",
            "encryption: {tool: age, identity: file:\(identity)}",
        ]
    }

    /// Requests that would change the store, among those recorded from line `from` on.
    static func writes(_ recording: String, from: Int) -> [String] {
        MotoRecording.requests(recording).dropFirst(from).filter { !["GET", "HEAD"].contains($0.method) }.map { "\($0.method) \($0.path)" }
    }

    @Test func anEncryptedDumpInABucketRestoresAndTheBucketIsOnlyRead() async throws {
        var sample = try await SampleDrill.prepare("s3-age")
        defer { sample.remove() }
        let recording = sample.workspace.file("moto-requests.jsonl")
        try await MotoServer.with(recording: recording) { server in
            let key = try await Self.ageKey(sample.workspace, name: "backup.agekey")
            try await server.fixture(["create-bucket", "backups", "--versioned"])
            try await Self.upload(server, try await Self.encryptedBackup(sample, recipient: key.recipient, name: "app.dump.age"), key: "nightly/app.dump.age")
            let before = MotoRecording.requests(recording).count
            sample.drill.location = "s3://backups/nightly/app.dump.age"
            sample.drill.backupExtra = Self.s3Lines(server, identity: key.identity)

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let fetch = try sample.cases(ofSuite: "fetch")
            #expect((fetch.first { $0["name"] as? String == "backup fetched" }?["output"] as? String)?.contains("decrypted with age") == true, "\(fetch)")
            let verify = try sample.cases(ofSuite: "verify")
            #expect(verify.first { $0["name"] as? String == "sha256 matches the recorded checksum" }?["status"] as? String == "passed")
            #expect(verify.first { $0["name"] as? String == "artifact decrypts with age" }?["status"] as? String == "passed", "\(verify)")
            #expect((verify.first { $0["name"] as? String == "fetched copy is a pg_dump archive" }?["output"] as? String)?.hasPrefix("custom dump of PostgreSQL 15") == true, "\(verify)")
            // The app's own checks ran against the restored rows.
            let checks = try sample.cases(ofSuite: "checks.app-example")
            #expect(checks.filter { $0["status"] as? String == "passed" }.count == 7 && checks.allSatisfy { $0["status"] as? String != "failed" }, "\(checks)")
            let backup = try sample.report()["backup"] as? [String: Any]
            #expect(backup?["location"] as? String == "s3://backups/nightly/app.dump.age")
            #expect(Self.writes(recording, from: before).isEmpty, "the drill wrote to the store: \(Self.writes(recording, from: before))")
            #expect(MotoRecording.requests(recording).dropFirst(before).contains { $0.method == "GET" && $0.path.hasSuffix("/backups/nightly/app.dump.age") })
            #expect(sample.workspace.leftoversInTmp().isEmpty, "the fetched copy was left behind: \(sample.workspace.leftoversInTmp())")
            #expect(!run.allOutput.contains("AGE-SECRET-KEY"), "the identity leaked into the output")
        }
    }

    @Test func aByteFlippedInTheBucketFailsVerifyAndNothingIsRestored() async throws {
        var sample = try await SampleDrill.prepare("s3-flipped")
        defer { sample.remove() }
        try await MotoServer.with { server in
            let key = try await Self.ageKey(sample.workspace, name: "backup.agekey")
            try await server.fixture(["create-bucket", "backups"])
            try await Self.upload(
                server, try await Self.encryptedBackup(sample, recipient: key.recipient, name: "app.dump.age", flipByte: true), key: "app.dump.age")
            sample.drill.location = "s3://backups/app.dump.age"
            sample.drill.backupExtra = Self.s3Lines(server, identity: key.identity)

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 1, "\(run.allOutput)")
            let verify = try sample.cases(ofSuite: "verify")
            let checksum = verify.first { $0["name"] as? String == "sha256 matches the recorded checksum" }
            #expect(checksum?["status"] as? String == "failed")
            #expect((checksum?["message"] as? String)?.contains("sha256 of s3://backups/app.dump.age is") == true, "\(verify)")
            // The decryptor also refused the damaged bytes; the verdict names the cause, not a key problem.
            #expect(verify.first { $0["name"] as? String == "artifact decrypts with age" }?["status"] as? String == "skipped")
            #expect(!(try sample.suiteNames()).contains("restore"))
            #expect(sample.workspace.leftoversInTmp().isEmpty)
        }
    }

    @Test func aWrongAgeIdentityIsAnErrorThatNamesTheKeyReference() async throws {
        var sample = try await SampleDrill.prepare("s3-wrong-key")
        defer { sample.remove() }
        try await MotoServer.with { server in
            let key = try await Self.ageKey(sample.workspace, name: "backup.agekey")
            let other = try await Self.ageKey(sample.workspace, name: "other.agekey")
            try await server.fixture(["create-bucket", "backups"])
            try await Self.upload(server, try await Self.encryptedBackup(sample, recipient: key.recipient, name: "app.dump.age"), key: "app.dump.age")
            sample.drill.location = "s3://backups/app.dump.age"
            sample.drill.backupExtra = Self.s3Lines(server, identity: other.identity)

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 3, "\(run.allOutput)")
            let decrypt = try sample.cases(ofSuite: "verify").first { $0["name"] as? String == "artifact decrypts with age" }
            #expect(decrypt?["status"] as? String == "error")
            let message = decrypt?["message"] as? String ?? ""
            #expect(message.contains("backup.encryption.identity (file:\(other.identity))") && message.contains("no identity matched"), "\(message)")
            #expect(!message.contains("damaged"))
        }
    }

    @Test func selectionPicksAmongDatedBackupsAndARandomPickRepeatsFromItsSeed() async throws {
        var sample = try await SampleDrill.prepare("s3-select")
        defer { sample.remove() }
        try await MotoServer.with { server in
            let key = try await Self.ageKey(sample.workspace, name: "backup.agekey")
            try await server.fixture(["create-bucket", "backups"])
            let day = 86_400.0
            for (name, age) in [("app-2026-11-20.dump.age", 11 * day), ("app-2026-11-28.dump.age", 3 * day), ("app-2026-11-30.dump.age", 2 * 3600)] {
                let files = try await Self.encryptedBackup(sample, recipient: key.recipient, name: name, createdAt: Date().addingTimeInterval(-age))
                try await Self.upload(server, files, key: "app/" + name)
            }
            // Not a backup of this drill: another prefix, and a sidecar on its own.
            try await server.fixture(["put", "backups", "other/app-2026-12-01.dump.age", "--text", "x"])
            sample.drill.location = "s3://backups/app/*.dump.age"
            sample.drill.backupExtra = Self.s3Lines(server, identity: key.identity)
            let planFile = { (select: String) throws -> String in
                var drill = sample.drill
                drill.backupExtra.append("select: \(select)")
                return try sample.workspace.write("plan.yaml", drill.yaml)
            }
            func plan(_ select: String) async throws -> [String: Any] {
                let run = try await DrillCLI.run(["plan", "--json", try planFile(select)], workspace: sample.workspace, environment: Self.environment)
                #expect(run.exitCode == 0, "\(run.allOutput)")
                let object = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any]
                return (object?["backup"] as? [String: Any])?["selection"] as? [String: Any] ?? [:]
            }

            #expect(try await plan("latest")["chosen"] as? String == "s3://backups/app/app-2026-11-30.dump.age")
            #expect(try await plan("app-2026-11-20.dump.age")["chosen"] as? String == "s3://backups/app/app-2026-11-20.dump.age")
            let within = try await plan("{latest_within: 7d}")
            #expect(within["chosen"] as? String == "s3://backups/app/app-2026-11-30.dump.age" && within["candidates"] as? Int == 3)
            let listing = (within["listing"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(listing == ["app-2026-11-30.dump.age", "app-2026-11-28.dump.age", "app-2026-11-20.dump.age"], "\(within)")
            let first = try await plan("{random_within: 30d, seed: 42}")
            let second = try await plan("{random_within: 30d, seed: 42}")
            #expect(first["seed"] as? Int == 42 && first["chosen"] as? String != nil && first["chosen"] as? String == second["chosen"] as? String)
            // Without a seed the drill picks one and says it, so the choice can be repeated.
            let unseeded = try await plan("{random_within: 30d}")
            let seed = unseeded["seed"] as? Int ?? 0
            #expect(seed > 0 && (unseeded["reason"] as? String)?.contains("backup.select.seed: \(seed)") == true, "\(unseeded)")
            #expect(try await plan("{random_within: 30d, seed: \(seed)}")["chosen"] as? String == unseeded["chosen"] as? String)
            // Over many seeds every backup inside the window is picked, and never the older one.
            var picked: Set<String> = []
            for seed in 1...12 { picked.insert(try await plan("{random_within: 7d, seed: \(seed)}")["chosen"] as? String ?? "") }
            #expect(picked == ["s3://backups/app/app-2026-11-28.dump.age", "s3://backups/app/app-2026-11-30.dump.age"])

            // No backup inside the window is a failure (the RPO is breached), not an error.
            sample.drill.backupExtra.append("select: {latest_within: 1h}")
            let stale = try await sample.run(environment: Self.environment)
            #expect(stale.exitCode == 1, "\(stale.allOutput)")
            let planCases = try sample.cases(ofSuite: "plan")
            let window = planCases.first { $0["name"] as? String == "backup within the selection window" }
            #expect(window?["status"] as? String == "failed", "\(planCases)")
            #expect((window?["message"] as? String)?.contains("the newest, app-2026-11-30.dump.age, is 2h") == true, "\(planCases)")

            // The chosen one restores.
            sample.drill.backupExtra.removeLast()
            sample.drill.backupExtra.append("select: {latest_within: 7d}")
            let run = try await sample.run(environment: Self.environment)
            #expect(run.exitCode == 0, "\(run.allOutput)")
            let chosen = try sample.cases(ofSuite: "plan").first { ($0["name"] as? String)?.hasPrefix("backup chosen") == true }
            #expect((chosen?["output"] as? String)?.hasPrefix("app-2026-11-30.dump.age of 3 in s3://backups/app/*.dump.age") == true, "\(String(describing: chosen))")
        }
    }

    @Test func aReadRefusedForItsKMSKeyIsAnErrorThatNamesThePermission() async throws {
        var sample = try await SampleDrill.prepare("s3-kms")
        defer { sample.remove() }
        try await MotoServer.with { server in
            let key = try await Self.ageKey(sample.workspace, name: "backup.agekey")
            try await server.fixture(["create-bucket", "backups"])
            try await Self.upload(server, try await Self.encryptedBackup(sample, recipient: key.recipient, name: "app.dump.age"), key: "app.dump.age")
            // S3 answers 403 AccessDenied to a GET whose SSE-KMS key the caller may not use;
            // the listing and the sidecar stay readable.
            let proxy = try await FaultProxy.start(upstream: server.endpoint, ["--deny-get", "/app.dump.age"])
            sample.drill.location = "s3://backups/app.dump.age"
            sample.drill.backupExtra = ["endpoint: \(proxy.endpoint)"] + Self.s3Lines(server, identity: key.identity).dropFirst()

            let run = try await sample.run(environment: Self.environment)
            let injected = await proxy.stop()

            #expect(run.exitCode == 3, "\(run.allOutput)")
            #expect(injected.contains("403 AccessDenied for /backups/app.dump.age"), "\(injected)")
            let fetch = try sample.cases(ofSuite: "fetch").first { $0["name"] as? String == "fetch" }
            let message = fetch?["message"] as? String ?? ""
            #expect(fetch?["status"] as? String == "error", "\(String(describing: fetch))")
            #expect(message.contains("the store refused to read s3://backups/app.dump.age"), "\(message)")
            #expect(message.contains("grant them kms:Decrypt on that key") && message.contains("The backup was not judged"), "\(message)")
            #expect(!(try sample.suiteNames()).contains("restore"))
        }
    }

    @Test func aDirectoryFormatDumpInABucketIsFetchedWholeAndAFileMissingFailsVerify() async throws {
        var sample = try await SampleDrill.prepare("s3-directory", format: .directory)
        defer { sample.remove() }
        let recording = sample.workspace.file("moto-requests.jsonl")
        try await MotoServer.with(recording: recording) { server in
            try await server.fixture(["create-bucket", "backups"])
            let files = try await server.fixture(["put-tree", "backups", "nightly/app.dir/", sample.artifact])
            try await server.fixture(["put", "backups", "nightly/app.dir.restore-drill.json", "--file", BackupMetadata.sidecarPath(for: sample.artifact)])
            let before = MotoRecording.requests(recording).count
            // The folder, named without its slash as an operator would.
            sample.drill.location = "s3://backups/nightly/app.dir"
            sample.drill.backupExtra = ["endpoint: \(server.endpoint)", "access_key: env:TEST_S3_KEY", "secret_key: env:TEST_S3_SECRET"]

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 0, "\(run.allOutput)")
            let fetched = try sample.cases(ofSuite: "fetch").first { $0["name"] as? String == "backup fetched" }
            #expect((fetched?["output"] as? String)?.contains("in \(files.trimmingCharacters(in: .whitespacesAndNewlines)) files from s3://backups/nightly/app.dir") == true, "\(String(describing: fetched))")
            let verify = try sample.cases(ofSuite: "verify")
            #expect(verify.first { $0["name"] as? String == "sha256 matches the recorded checksum" }?["status"] as? String == "passed", "\(verify)")
            let checks = try sample.cases(ofSuite: "checks.app-example")
            #expect(checks.filter { $0["status"] as? String == "passed" }.count == 7, "\(checks)")
            #expect(Self.writes(recording, from: before).isEmpty, "the drill wrote to the store: \(Self.writes(recording, from: before))")
            #expect(sample.workspace.leftoversInTmp().isEmpty)

            // One table's data file gone from the bucket: the folder is not the recorded one.
            let member = try #require(try FileManager.default.contentsOfDirectory(atPath: sample.artifact).first { $0.hasSuffix(".dat.gz") || ($0.hasSuffix(".dat") && $0 != "toc.dat") })
            try await server.fixture(["delete", "backups", "nightly/app.dir/" + member])
            let broken = try await sample.run(environment: Self.environment)
            #expect(broken.exitCode == 1, "\(broken.allOutput)")
            let checksum = try sample.cases(ofSuite: "verify").first { $0["name"] as? String == "sha256 matches the recorded checksum" }
            #expect(checksum?["status"] as? String == "failed", "\(String(describing: checksum))")
            #expect(!(try sample.suiteNames()).contains("restore"))
        }
    }

    @Test func anArtifactMissingFromTheBucketIsAFailureThatNamesIt() async throws {
        var sample = try await SampleDrill.prepare("s3-missing")
        defer { sample.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "backups"])
            sample.drill.location = "s3://backups/nightly/app.dump"
            sample.drill.backupExtra = ["endpoint: \(server.endpoint)", "access_key: env:TEST_S3_KEY", "secret_key: env:TEST_S3_SECRET"]
            sample.drill.postgresExtra = ["version: 15"]

            let run = try await sample.run(environment: Self.environment)

            #expect(run.exitCode == 1, "\(run.allOutput)")
            let fetch = try sample.cases(ofSuite: "plan").first { $0["name"] as? String == "fetch" }
            #expect((fetch?["message"] as? String)?.contains("s3://backups/nightly/app.dump does not exist") == true, "\(String(describing: fetch))")
        }
    }

    @Test func anUnencryptedDumpWithoutMetadataIsInspectedOnceFetched() async throws {
        var sample = try await SampleDrill.prepare("s3-plain")
        defer { sample.remove() }
        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "backups"])
            try await server.fixture(["put", "backups", "app.dump", "--file", sample.artifact])
            sample.drill.location = "s3://backups/app.dump"
            sample.drill.backupExtra = ["endpoint: \(server.endpoint)", "access_key: env:TEST_S3_KEY", "secret_key: env:TEST_S3_SECRET"]

            // Without metadata the version must be given: nothing says it before the bytes are here.
            let refused = try await sample.run(environment: Self.environment)
            #expect(refused.exitCode == 2, "\(refused.allOutput)")
            #expect(refused.allOutput.contains("s3://backups/app.dump.restore-drill.json"), "\(refused.allOutput)")

            sample.drill.postgresExtra = ["version: 15"]
            let run = try await sample.run(environment: Self.environment)
            #expect(run.exitCode == 0, "\(run.allOutput)")
            let verify = try sample.cases(ofSuite: "verify")
            #expect(verify.first { $0["name"] as? String == "sha256 matches the recorded checksum" }?["status"] as? String == "skipped")
            #expect((verify.first { $0["name"] as? String == "fetched copy is a pg_dump archive" }?["output"] as? String)?.hasPrefix("custom dump") == true)
        }
    }

    /// OpenPGP: a secret key (public-key encryption) and a passphrase (symmetric), each by
    /// reference; gpg's agent is stopped, and a wrong passphrase is an error naming it.
    @Test func gpgEncryptedDumpsRestoreWithAKeyOrAPassphrase() async throws {
        var sample = try await SampleDrill.prepare("s3-gpg")
        defer { sample.remove() }
        let home = sample.workspace.file("gnupg")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chmod(home, 0o700)
        let gpg = { (arguments: [String]) async throws -> ToolResult in
            let result = try await ProcessRunner.run(ToolInvocation(executable: "gpg", arguments: ["--homedir", home, "--batch", "--pinentry-mode", "loopback"] + arguments))
            guard result.succeeded else { throw TestSupportError("gpg \(arguments): \(result.standardError)") }
            return result
        }
        defer { _ = Task { _ = try? await ProcessRunner.run(ToolInvocation(executable: "gpgconf", arguments: ["--homedir", home, "--kill", "all"])) } }
        _ = try await gpg(["--passphrase", "", "--quick-gen-key", "drill <drill@example.test>", "default", "default", "never"])
        let secretKey = sample.workspace.file("drill-secret.asc")
        try await gpg(["--armor", "--export-secret-keys", "drill@example.test"]).standardOutput.write(toFile: secretKey, atomically: true, encoding: .utf8)
        let byKey = sample.workspace.file("app.dump.gpg")
        _ = try await gpg(["--trust-model", "always", "-r", "drill@example.test", "-o", byKey, "--encrypt", sample.artifact])
        let byPassphrase = sample.workspace.file("app-sym.dump.gpg")
        _ = try await gpg(["--passphrase", "correct horse", "-o", byPassphrase, "--symmetric", sample.artifact])
        _ = try? await ProcessRunner.run(ToolInvocation(executable: "gpgconf", arguments: ["--homedir", home, "--kill", "all"]))

        try await MotoServer.with { server in
            try await server.fixture(["create-bucket", "backups"])
            try await server.fixture(["put", "backups", "app.dump.gpg", "--file", byKey])
            try await server.fixture(["put", "backups", "app-sym.dump.gpg", "--file", byPassphrase])
            let common = ["endpoint: \(server.endpoint)", "access_key: env:TEST_S3_KEY", "secret_key: env:TEST_S3_SECRET"]
            sample.drill.postgresExtra = ["version: 15"]
            var environment = Self.environment
            environment["TEST_GPG_PASSPHRASE"] = "correct horse"

            sample.drill.location = "s3://backups/app.dump.gpg"
            sample.drill.backupExtra = common + ["encryption: {tool: gpg, key: file:\(secretKey)}"]
            let keyed = try await sample.run(environment: environment)
            #expect(keyed.exitCode == 0, "\(keyed.allOutput)")
            #expect(try sample.cases(ofSuite: "verify").first { $0["name"] as? String == "artifact decrypts with gpg" }?["status"] as? String == "passed")

            sample.drill.location = "s3://backups/app-sym.dump.gpg"
            sample.drill.backupExtra = common + ["encryption: {tool: gpg, passphrase: env:TEST_GPG_PASSPHRASE}"]
            let symmetric = try await sample.run(environment: environment)
            #expect(symmetric.exitCode == 0, "\(symmetric.allOutput)")
            #expect(!symmetric.allOutput.contains("correct horse"))

            environment["TEST_GPG_PASSPHRASE"] = "wrong horse"
            let wrong = try await sample.run(environment: environment)
            #expect(wrong.exitCode == 3, "\(wrong.allOutput)")
            let decrypt = try sample.cases(ofSuite: "verify").first { $0["name"] as? String == "artifact decrypts with gpg" }
            #expect((decrypt?["message"] as? String)?.contains("backup.encryption.passphrase (env:TEST_GPG_PASSPHRASE)") == true, "\(String(describing: decrypt))")
        }
        try await Task.sleep(for: .milliseconds(500))
        let agents = LiveProcesses.all().filter { $0.commandLine.contains("gpg-agent") && $0.commandLine.contains(sample.workspace.path) }
        #expect(agents.isEmpty, "gpg-agent outlived the drill: \(agents.map(\.commandLine))")
    }

    /// The same selection over local files: a glob, and sidecars that say when each was taken.
    @Test func aLocalGlobChoosesTheNewestRecordedBackup() async throws {
        var sample = try await SampleDrill.prepare("local-glob")
        defer { sample.remove() }
        let folder = sample.workspace.file("nightly")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, age) in [("app-1.dump", 5 * 3600.0), ("app-2.dump", 3600.0), ("app-3.dump", 9 * 3600.0)] {
            let target = folder + "/" + name
            try FileManager.default.copyItem(atPath: sample.artifact, toPath: target)
            var metadata = try BackupMetadata.load(path: BackupMetadata.sidecarPath(for: sample.artifact))
            metadata.artifact = name
            metadata.createdAt = Date().addingTimeInterval(-age)
            try metadata.encoded().write(to: URL(fileURLWithPath: BackupMetadata.sidecarPath(for: target)))
        }
        // Newest on disk, but recorded as the oldest backup: the recorded time decides.
        _ = utimes(folder + "/app-3.dump", nil)
        sample.drill.location = folder + "/app-*.dump"

        let run = try await sample.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        let report = try sample.report()
        #expect((report["backup"] as? [String: Any])?["location"] as? String == folder + "/app-2.dump")
        #expect(!(try sample.suiteNames()).contains("fetch"), "a local unencrypted file is read where it is")
    }

    /// `record --stored` writes the sidecar for the encrypted copy; `record s3://...` reads an
    /// object without writing to the bucket and prints (or writes) its metadata.
    @Test func recordWorksForStoredCopiesAndForObjectsInABucket() async throws {
        var sample = try await SampleDrill.prepare("s3-record")
        defer { sample.remove() }
        let recording = sample.workspace.file("moto-requests.jsonl")
        try await MotoServer.with(recording: recording) { server in
            let key = try await Self.ageKey(sample.workspace, name: "backup.agekey")
            let encrypted = sample.workspace.file("app.dump.age")
            let sealed = try await ProcessRunner.run(ToolInvocation(executable: "age", arguments: ["-r", key.recipient, "-o", encrypted, sample.artifact]))
            #expect(sealed.succeeded)
            let stored = try await DrillCLI.run(["record", sample.artifact, "--stored", encrypted], workspace: sample.workspace)
            #expect(stored.exitCode == 0, "\(stored.allOutput)")
            let sidecar = try BackupMetadata.load(path: BackupMetadata.sidecarPath(for: encrypted))
            let digest = try await ContentDigest.of(path: encrypted)
            #expect(sidecar.sha256 == digest.sha256 && sidecar.size == digest.size.bytes && sidecar.artifact == "app.dump.age")
            #expect(sidecar.dumpFormat == .custom && sidecar.inventory != nil)

            try await server.fixture(["create-bucket", "backups"])
            try await Self.upload(server, (encrypted, BackupMetadata.sidecarPath(for: encrypted)), key: "app.dump.age")
            try await server.fixture(["put", "backups", "plain/app.dump", "--file", sample.artifact])
            let before = MotoRecording.requests(recording).count
            let environment = MotoServer.environment

            let printed = try await DrillCLI.run(["record", "s3://backups/plain/app.dump", "--endpoint", server.endpoint], workspace: sample.workspace, environment: environment)
            #expect(printed.exitCode == 0, "\(printed.allOutput)")
            let metadata = try BackupMetadata.decode(Data(printed.standardOutput.utf8), from: "stdout")
            #expect(metadata.sha256 == (try await ContentDigest.of(path: sample.artifact)).sha256 && metadata.dumpFormat == .custom)

            let written = sample.workspace.file("remote.json")
            let decrypted = try await DrillCLI.run(
                ["record", "s3://backups/app.dump.age", "--endpoint", server.endpoint, "--age-identity", "file:\(key.identity)", "--output", written],
                workspace: sample.workspace, environment: environment)
            #expect(decrypted.exitCode == 0, "\(decrypted.allOutput)")
            let remote = try BackupMetadata.load(path: written)
            #expect(remote.sha256 == digest.sha256 && remote.dumpFormat == .custom && remote.serverVersion == sidecar.serverVersion)
            #expect(Self.writes(recording, from: before).isEmpty, "record wrote to the bucket: \(Self.writes(recording, from: before))")

            // The recorded encrypted backup drills.
            sample.drill.location = "s3://backups/app.dump.age"
            sample.drill.backupExtra = Self.s3Lines(server, identity: key.identity)
            let run = try await sample.run(environment: Self.environment)
            #expect(run.exitCode == 0, "\(run.allOutput)")
            #expect(sample.workspace.leftoversInTmp().isEmpty)
        }
    }

    /// SSE-C: every read of the object carries the customer key's three headers (moto does not
    /// implement SSE-C, so what the drill sends is read from moto's request recording).
    @Test func aCustomerKeyGoesWithEveryReadOfTheObject() async throws {
        var sample = try await SampleDrill.prepare("s3-ssec")
        defer { sample.remove() }
        let recording = sample.workspace.file("moto-requests.jsonl")
        try await MotoServer.with(recording: recording) { server in
            try await server.fixture(["create-bucket", "backups"])
            try await server.fixture(["put", "backups", "app.dump", "--file", sample.artifact])
            try await server.fixture(["put", "backups", "app.dump.restore-drill.json", "--file", BackupMetadata.sidecarPath(for: sample.artifact)])
            let key = Data((0..<32).map { UInt8($0 * 7 % 256) })
            var md5 = StreamingDigest.md5()
            md5.update(key)
            let keyMD5 = Data(md5.finalizeBytes()).base64EncodedString()
            var environment = Self.environment
            environment["TEST_SSEC_KEY"] = key.base64EncodedString()
            sample.drill.location = "s3://backups/app.dump"
            sample.drill.backupExtra = [
                "endpoint: \(server.endpoint)", "access_key: env:TEST_S3_KEY", "secret_key: env:TEST_S3_SECRET", "sse_customer_key: env:TEST_SSEC_KEY",
            ]
            let before = MotoRecording.requests(recording).count

            let run = try await sample.run(environment: environment)

            #expect(run.exitCode == 0, "\(run.allOutput)")
            #expect(!run.allOutput.contains(key.base64EncodedString()))
            let text = try String(contentsOfFile: recording, encoding: .utf8)
            let gets = text.split(separator: "\n").dropFirst(before).compactMap { line -> [String: String]? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["method"] as? String == "GET",
                    (object["url"] as? String)?.hasSuffix("/backups/app.dump") == true
                else { return nil }
                return Dictionary(((object["headers"] as? [String: String]) ?? [:]).map { ($0.key.lowercased(), $0.value) }) { $1 }
            }
            #expect(!gets.isEmpty)
            for headers in gets {
                #expect(headers["x-amz-server-side-encryption-customer-algorithm"] == "AES256")
                #expect(headers["x-amz-server-side-encryption-customer-key-md5"] == keyMD5)
            }

            environment["TEST_SSEC_KEY"] = "not-a-key"
            let refused = try await sample.run(environment: environment)
            #expect(refused.exitCode == 3, "\(refused.allOutput)")
            #expect(refused.allOutput.contains("must be the base64 of a 256-bit key"), "\(refused.allOutput)")
        }
    }

    /// An encrypted file on local disk goes through the same fetch: hashed as stored, decrypted
    /// into the drill's folder, the original left as it was.
    @Test func anEncryptedLocalFileIsDecryptedIntoTheDrillsFolder() async throws {
        var sample = try await SampleDrill.prepare("local-age")
        defer { sample.remove() }
        let key = try await Self.ageKey(sample.workspace, name: "backup.agekey")
        let files = try await Self.encryptedBackup(sample, recipient: key.recipient, name: "app.dump.age")
        let before = try await ContentDigest.of(path: files.artifact)
        sample.drill.location = files.artifact
        sample.drill.backupExtra = ["encryption: {tool: age, identity: file:\(key.identity)}"]

        let run = try await sample.run()

        #expect(run.exitCode == 0, "\(run.allOutput)")
        #expect(try sample.cases(ofSuite: "verify").first { $0["name"] as? String == "artifact decrypts with age" }?["status"] as? String == "passed")
        #expect((try sample.report()["backup"] as? [String: Any])?["location"] as? String == files.artifact)
        #expect(try await ContentDigest.of(path: files.artifact) == before)
        #expect(sample.workspace.leftoversInTmp().isEmpty)
    }
}
