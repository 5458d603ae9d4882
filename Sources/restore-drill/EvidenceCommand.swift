import ArgumentParser
import Drill
import DrillSupport
import Foundation
import Reports

/// `restore-drill evidence RUN_DIR -o bundle.tar.gz [--sign-key REF]` and
/// `restore-drill evidence verify BUNDLE [--public-key PEM]`.
struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Bundle a run's reports for an auditor (SHA-256 manifest, Ed25519 signature), or verify a bundle.",
        subcommands: [Make.self, Verify.self], defaultSubcommand: Make.self)

    /// Resolves a signing key reference (env:NAME, file:PATH, command:CMD) to its PEM text.
    static func signingKey(_ reference: String?) async throws -> String? {
        guard let reference else { return nil }
        guard let parsed = SecretReference.parse(reference) else {
            throw ConfigError(file: "--sign-key", message: "expected env:NAME, file:PATH or command:CMD, found '\(reference)' (the key itself never goes on a command line)")
        }
        return try await parsed.resolve()
    }

    struct Make: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "make",
            abstract: "Write RUN_DIR's reports, the drill file as run, evidence.json and MANIFEST.sha256 (signed with --sign-key) into a tar.gz.")

        @Argument(help: "The reports folder of a run (where report.json is).") var runDirectory: String
        @Option(name: .shortAndLong, help: "The bundle to write (tar.gz).") var output: String
        @Option(name: .customLong("sign-key"), help: "An Ed25519 private key (PEM) by reference: env:NAME, file:PATH or command:CMD.")
        var signKey: String?

        func run() async throws {
            do {
                let key = try await EvidenceCommand.signingKey(signKey)
                let made = try await EvidenceBundle.make(runDirectory: runDirectory, output: output, signingKeyPEM: key, toolVersion: DrillRunner.toolVersion)
                FileHandle.standardError.write(
                    Data("restore-drill: \(output): \(made.files.count) files, \(made.signedBy.map { "signed by Ed25519 key \($0)" } ?? "not signed (--sign-key signs)")\n".utf8))
            } catch let problem as EvidenceBundle.Problem {
                FileHandle.standardError.write(Data("restore-drill: \(SecretMasker.shared.mask(problem.description))\n".utf8))
                throw ExitCode(DrillExitCode.harness.rawValue)
            } catch {
                throw Conclusion.fail(error)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a bundle: every file against MANIFEST.sha256 and the signature. Exit 0 valid, 1 not valid, 3 could not check.")

        @Argument(help: "The bundle (tar.gz).") var bundle: String
        @Option(name: .customLong("public-key"), help: "The signer's public key (PEM file) to check the signature against; default the bundle's own.")
        var publicKey: String?

        func run() async throws {
            let key: String?
            if let publicKey {
                guard let text = try? String(contentsOfFile: publicKey, encoding: .utf8) else {
                    FileHandle.standardError.write(Data("restore-drill: cannot read the public key \(publicKey)\n".utf8))
                    throw ExitCode(DrillExitCode.usage.rawValue)
                }
                key = text
            } else {
                key = nil
            }
            do {
                let verified = try await EvidenceBundle.verify(bundle: bundle, publicKeyPEM: key)
                let signature =
                    verified.signedBy.map {
                        verified.keyGiven ? "signed by \($0), the key given" : "signed by \($0), the key inside the bundle (pass --public-key to check who signed)"
                    } ?? "not signed"
                FileHandle.standardError.write(
                    Data("restore-drill: \(bundle) is valid: \(verified.files) files match \(EvidenceBundle.manifestName); \(signature); drill '\(verified.drill)' \(verified.status) at \(verified.startedAt)\n".utf8))
            } catch {
                FileHandle.standardError.write(Data("restore-drill: \(bundle) is NOT valid: \(error.description)\n".utf8))
                throw ExitCode(error.invalid ? DrillExitCode.failed.rawValue : DrillExitCode.harness.rawValue)
            }
        }
    }
}
