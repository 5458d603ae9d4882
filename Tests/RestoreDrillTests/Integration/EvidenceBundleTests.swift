import DrillSupport
import DrillTestSupport
import Foundation
import Testing

/// `run --evidence` and `evidence verify`: a bundle an auditor checks with tar, sha256sum and
/// openssl alone; one changed byte, a changed file or another key's signature makes it invalid.
@Suite("Evidence bundle", .serialized)
struct EvidenceBundleTests {
    static func sh(_ script: String, in workspace: TestWorkspace) async throws -> DrillCLI.Run {
        try await DrillCLI.runProgram("/bin/sh", ["-c", script], workspace: workspace)
    }

    @Test func aSignedBundleVerifiesWithStandardToolsAndNotAfterAnyChange() async throws {
        let sample = try await SampleDrill.prepare("evidence")
        defer { sample.remove() }
        let workspace = sample.workspace
        let made = try await Self.sh(
            "openssl genpkey -algorithm ed25519 -out signing.pem && openssl pkey -in signing.pem -pubout -out signing.pub.pem"
                + " && openssl genpkey -algorithm ed25519 -out other.pem && openssl pkey -in other.pem -pubout -out other.pub.pem", in: workspace)
        #expect(made.exitCode == 0, "\(made.allOutput)")
        let bundle = workspace.file("evidence.tar.gz")

        let run = try await sample.run(options: ["--evidence", bundle, "--sign-key", "file:" + workspace.file("signing.pem")])
        #expect(run.exitCode == 0, "\(run.allOutput)")
        #expect(run.standardError.contains("evidence: \(bundle)") && run.standardError.contains("signed by SHA256:"), "\(run.standardError)")

        // restore-drill's own check, against the bundle's key and against the auditor's copy of it.
        let own = try await DrillCLI.run(["evidence", "verify", bundle], workspace: workspace)
        #expect(own.exitCode == 0 && own.standardError.contains("is valid") && own.standardError.contains("the key inside the bundle"), "\(own.allOutput)")
        let given = try await DrillCLI.run(["evidence", "verify", bundle, "--public-key", workspace.file("signing.pub.pem")], workspace: workspace)
        #expect(given.exitCode == 0 && given.standardError.contains("the key given"), "\(given.allOutput)")
        let other = try await DrillCLI.run(["evidence", "verify", bundle, "--public-key", workspace.file("other.pub.pem")], workspace: workspace)
        #expect(other.exitCode == 1 && other.standardError.contains("does not verify with the given public key"), "\(other.allOutput)")

        // The auditor's check without restore-drill: tar, sha256sum -c, openssl pkeyutl -verify.
        let audit = try await Self.sh(
            "mkdir audit && tar -xzf evidence.tar.gz -C audit && cd audit && sha256sum -c MANIFEST.sha256"
                + " && openssl pkeyutl -verify -pubin -inkey ../signing.pub.pem -rawin -in MANIFEST.sha256 -sigfile MANIFEST.sha256.sig", in: workspace)
        #expect(audit.exitCode == 0 && audit.standardOutput.contains("Signature Verified Successfully"), "\(audit.allOutput)")
        for file in ["reports/report.json", "reports/junit.xml", "reports/summary.md", "reports/drill-file.yaml", "evidence.json", "signing-key.pub.pem"] {
            #expect(audit.standardOutput.contains("\(file): OK"), "\(file): \(audit.standardOutput)")
        }
        let evidence = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workspace.file("audit/evidence.json")))) as? [String: Any] ?? [:]
        let backup = evidence["backup"] as? [String: Any] ?? [:]
        #expect(evidence["status"] as? String == "passed" && (backup["sha256"] as? String)?.count == 64, "\(evidence)")
        #expect((evidence["measurements"] as? [String: Any])?["rto_seconds"] is Double && evidence["ran_with"] as? String == "0.1.0")
        #expect(evidence["signing_key"] as? String != nil && evidence["host"] as? String != nil)
        // No secret in the bundle: the admin password the checks used is nowhere in it.
        let leaks = try await DrillCLI.runProgram("grep", ["-rl", "--", SampleDrill.passwordEnvironment["TEST_ADMIN_PASSWORD"]!, workspace.file("audit")], workspace: workspace)
        #expect(leaks.exitCode == 1 && leaks.standardOutput.isEmpty, "the secret is in \(leaks.standardOutput)")

        // One byte of the bundle changed.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x01
        try flipped.write(to: URL(fileURLWithPath: workspace.file("flipped.tar.gz")))
        let broken = try await DrillCLI.run(["evidence", "verify", workspace.file("flipped.tar.gz")], workspace: workspace)
        #expect(broken.exitCode == 1 && broken.standardError.contains("is NOT valid"), "\(broken.allOutput)")

        // A report changed and repacked: the manifest catches it; the manifest redone too: the signature does.
        let edited = try await Self.sh(
            "cp -r audit edited && sed -i 's/\"passed\"/\"failed\"/' edited/reports/report.json && tar -czf edited.tar.gz -C edited .", in: workspace)
        #expect(edited.exitCode == 0, "\(edited.allOutput)")
        let changed = try await DrillCLI.run(["evidence", "verify", workspace.file("edited.tar.gz")], workspace: workspace)
        #expect(changed.exitCode == 1 && changed.standardError.contains("reports/report.json was changed"), "\(changed.allOutput)")
        let resigned = try await Self.sh(
            "cd edited && find . -type f ! -name 'MANIFEST*' | sed 's|^./||' | sort | xargs sha256sum > MANIFEST.sha256 && tar -czf ../resummed.tar.gz .", in: workspace)
        #expect(resigned.exitCode == 0, "\(resigned.allOutput)")
        let forged = try await DrillCLI.run(["evidence", "verify", workspace.file("resummed.tar.gz")], workspace: workspace)
        #expect(forged.exitCode == 1 && forged.standardError.contains("signature of MANIFEST.sha256 does not verify"), "\(forged.allOutput)")

        // A bundle is untrusted input: a link inside is refused before anything is unpacked.
        let linked = try await Self.sh("cp -r audit linked && ln -s /etc/passwd linked/reports/passwd && tar -czf linked.tar.gz -C linked .", in: workspace)
        #expect(linked.exitCode == 0, "\(linked.allOutput)")
        let refused = try await DrillCLI.run(["evidence", "verify", workspace.file("linked.tar.gz")], workspace: workspace)
        #expect(refused.exitCode == 1 && refused.standardError.contains("something other than files and folders"), "\(refused.allOutput)")
    }

    @Test func aRunFolderBundlesUnsignedAndASignatureIsRequiredWhenAKeyIsGiven() async throws {
        let sample = try await SampleDrill.prepare("evidence-unsigned")
        defer { sample.remove() }
        let run = try await sample.run()
        #expect(run.exitCode == 0, "\(run.allOutput)")
        let bundle = sample.workspace.file("unsigned.tar.gz")
        let made = try await DrillCLI.run(["evidence", sample.reports, "-o", bundle], workspace: sample.workspace)
        #expect(made.exitCode == 0 && made.standardError.contains("not signed"), "\(made.allOutput)")
        let verified = try await DrillCLI.run(["evidence", "verify", bundle], workspace: sample.workspace)
        #expect(verified.exitCode == 0 && verified.standardError.contains("not signed"), "\(verified.allOutput)")
        let key = try await Self.sh("openssl genpkey -algorithm ed25519 -out k.pem && openssl pkey -in k.pem -pubout -out k.pub.pem", in: sample.workspace)
        #expect(key.exitCode == 0)
        let demanded = try await DrillCLI.run(["evidence", "verify", bundle, "--public-key", sample.workspace.file("k.pub.pem")], workspace: sample.workspace)
        #expect(demanded.exitCode == 1 && demanded.standardError.contains("not signed"), "\(demanded.allOutput)")
        let keyAlone = try await DrillCLI.run(["run", sample.workspace.file("drill.yaml"), "--sign-key", "file:" + sample.workspace.file("k.pem")], workspace: sample.workspace)
        #expect(keyAlone.exitCode == 2 && keyAlone.standardError.contains("give --evidence FILE too"), "\(keyAlone.allOutput)")
        let nowhere = try await DrillCLI.run(["evidence", sample.workspace.file("no-such-run"), "-o", bundle], workspace: sample.workspace)
        #expect(nowhere.exitCode == 3 && nowhere.standardError.contains("holds no report.json"), "\(nowhere.allOutput)")
    }
}
