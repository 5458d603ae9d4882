import DrillSupport
import Foundation

/// A drill's evidence for an auditor, in one `tar.gz`: the reports, the drill file as run
/// (secrets masked), `evidence.json` (the backup's identity, why it was chosen, the
/// measurements, tool version and host), and `MANIFEST.sha256` over every file, in the format
/// `sha256sum -c` checks; with a key, `MANIFEST.sha256.sig` (Ed25519 over the manifest's
/// bytes, as `openssl pkeyutl -sign -rawin` makes it) and `signing-key.pub.pem`. Nothing but
/// `tar`, `sha256sum` and `openssl` is needed to check one.
public enum EvidenceBundle {
    /// The manifest's name in the bundle.
    public static let manifestName = "MANIFEST.sha256"
    /// The signature's name in the bundle.
    public static let signatureName = "MANIFEST.sha256.sig"
    /// The public key's name in the bundle.
    public static let publicKeyName = "signing-key.pub.pem"
    /// The files of a reports folder a bundle takes (the ones that exist).
    public static let reportFiles = ["junit.xml", "report.json", "summary.md", "report.html", "objects.jsonl", "drill-file.yaml"]

    /// Why a bundle cannot be made or does not verify.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// True when the bundle itself is wrong (exit 1), false when it could not be checked (exit 3).
        public var invalid: Bool
    }

    /// What was bundled.
    public struct Made: Sendable {
        public var files: [String]
        public var signedBy: String?
    }

    /// Bundles the run in `runDirectory` (a reports folder) into `output`, signed with
    /// `signingKeyPEM` (Ed25519) when given.
    public static func make(
        runDirectory: String, output: String, signingKeyPEM: String?, toolVersion: String
    ) async throws(Problem) -> Made {
        let reportPath = runDirectory + "/report.json"
        guard let reportData = FileManager.default.contents(atPath: reportPath),
            let report = try? JSONDecoder.drill.decode(DrillReport.self, from: reportData)
        else {
            throw Problem(description: "\(runDirectory) holds no report.json a drill wrote: pass the reports folder of a run", invalid: false)
        }
        let staging = try privateFolder()
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var files: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: staging + "/reports", withIntermediateDirectories: true)
            for name in reportFiles where FileManager.default.fileExists(atPath: runDirectory + "/" + name) {
                try FileManager.default.copyItem(atPath: runDirectory + "/" + name, toPath: staging + "/reports/" + name)
                files.append("reports/" + name)
            }
            var signedBy: String?
            if let signingKeyPEM {
                let publicKey = try Ed25519Signing.publicKeyPEM(ofPrivateKey: signingKeyPEM)
                try publicKey.write(toFile: staging + "/" + publicKeyName, atomically: false, encoding: .utf8)
                files.append(publicKeyName)
                signedBy = try Ed25519Signing.fingerprint(publicKeyPEM: publicKey)
            }
            let evidence = try evidenceJSON(report, runDirectory: runDirectory, toolVersion: toolVersion, signedBy: signedBy)
            try evidence.write(to: URL(fileURLWithPath: staging + "/evidence.json"))
            files.append("evidence.json")
            files.sort()
            let manifest = try files.map { "\(try digest(staging + "/" + $0))  \($0)\n" }.joined()
            try manifest.write(toFile: staging + "/" + manifestName, atomically: false, encoding: .utf8)
            if let signingKeyPEM {
                let signature = try Ed25519Signing.sign(Data(manifest.utf8), privateKeyPEM: signingKeyPEM)
                try signature.write(to: URL(fileURLWithPath: staging + "/" + signatureName))
            }
            try await pack(staging, into: output, at: report.startedAt)
            return Made(files: files + [manifestName] + (signingKeyPEM == nil ? [] : [signatureName]), signedBy: signedBy)
        } catch let problem as Problem {
            throw problem
        } catch let error as Ed25519Signing.KeyError {
            throw Problem(description: "the signing key cannot be used: \(error)", invalid: false)
        } catch {
            throw Problem(description: "cannot write the bundle \(output): \(error)", invalid: false)
        }
    }

    /// A fresh folder only this user can read, under `$TMPDIR` (or /tmp).
    static func privateFolder() throws(Problem) -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/rd-evidence-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else {
            throw Problem(description: "cannot make a folder in \(base): \(String(cString: strerror(errno))). Set TMPDIR to a writable folder.", invalid: false)
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The bundle's own record: who ran what, on which backup, with what result.
    static func evidenceJSON(_ report: DrillReport, runDirectory: String, toolVersion: String, signedBy: String?) throws -> Data {
        let properties = report.properties
        let optional = { (value: Any?) -> Any in value ?? NSNull() }
        var object: [String: Any] = [
            "format": "restore-drill evidence 1",
            "drill": report.drill,
            "status": report.status.rawValue,
            "exit_code": report.exitCode,
            "started_at": TimestampText.iso(report.startedAt),
            "finished_at": TimestampText.iso(report.finishedAt),
            "backup": [
                "location": report.backup.location, "format": report.backup.format, "size": optional(report.backup.size),
                "sha256": optional(report.backup.sha256), "created_at": optional(report.backup.createdAt.map(TimestampText.iso)),
                "chosen_because": optional(properties["backup.chosen_because"]),
            ] as [String: Any],
            "measurements": [
                "rto_seconds": optional(report.measurements.rtoSeconds), "rpo_seconds": optional(report.measurements.rpoSeconds),
                "backup_age_seconds": optional(report.measurements.backupAgeSeconds),
            ] as [String: Any],
            "targets": ["rto_seconds": optional(report.targets.rtoSeconds), "rpo_seconds": optional(report.targets.rpoSeconds)] as [String: Any],
            "ran_with": optional(properties["restore_drill.version"]),
            "host": optional(properties["drill.host"]),
            "bundled_by": toolVersion,
            "bundled_on": ProcessInfo.processInfo.hostName,
            "bundled_at": TimestampText.iso(Date()),
            "run_directory": (runDirectory as NSString).standardizingPath,
        ]
        if let signedBy { object["signing_key"] = signedBy }
        let json = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return Data(SecretMasker.shared.mask(String(decoding: json, as: UTF8.self) + "\n").utf8)
    }

    static func digest(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Problem(description: "cannot read \(path)", invalid: false) }
        defer { try? handle.close() }
        var digest = StreamingDigest()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { digest.update(chunk) }
        return digest.finalizeHex()
    }

    /// `tar czf` of the staging folder, names sorted, owner and times fixed, written beside
    /// `output` and moved over it, so a half-written bundle never carries its name.
    static func pack(_ staging: String, into output: String, at time: Date) async throws {
        let partial = output + ".partial-\(getpid())"
        let result = try await ProcessRunner.run(
            ToolInvocation(
                executable: "tar",
                arguments: [
                    "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@\(Int(time.timeIntervalSince1970))", "-C", staging, "-czf",
                    partial, ".",
                ], displayName: "tar -c"))
        guard result.exitCode == 0 else {
            unlink(partial)
            throw Problem(description: "tar could not write \(output): \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))", invalid: false)
        }
        guard rename(partial, output) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw Problem(description: "cannot move the bundle to \(output): \(reason)", invalid: false)
        }
    }
}
