import DrillSupport
import Foundation
import Provisioning
import Restore

/// How an encrypted artifact is decrypted: `age` with an identity, or OpenPGP (`gpg`) with a
/// secret key or a passphrase, each given by reference. The real tools run as streams (the
/// formats' authenticated chunking is theirs to get right, not ours to reimplement).
struct ArtifactDecryption: Sendable, CustomStringConvertible {
    enum Tool: String, Sendable { case age, gpg }

    var tool: Tool
    /// `age`: the identity file's contents (`AGE-SECRET-KEY-1...`), by reference.
    var identity: SecretReference?
    /// `gpg`: an armored or binary secret key, by reference.
    var key: SecretReference?
    /// `gpg`: a symmetric passphrase, or the secret key's passphrase, by reference.
    var passphrase: SecretReference?
    /// Where the drill file sets it, for messages.
    var keyPath = "backup.encryption"

    /// The reference that names the key, for messages ("backup.encryption.identity (file:/keys/age.txt)").
    var keyReference: String {
        switch tool {
        case .age: return "\(keyPath).identity (\(identity.map { "\($0)" } ?? "unset"))"
        case .gpg:
            return [key.map { "\(keyPath).key (\($0))" }, passphrase.map { "\(keyPath).passphrase (\($0))" }].compactMap { $0 }
                .joined(separator: " and ")
        }
    }

    var description: String { "\(tool.rawValue) with \(keyReference)" }

    /// The stored name without the encryption suffix (`app.dump.age` → `app.dump`).
    func plainName(_ name: String) -> String {
        for suffix in tool == .age ? [".age"] : [".gpg", ".pgp", ".asc"] where name.hasSuffix(suffix) && name.count > suffix.count {
            return String(name.dropLast(suffix.count))
        }
        return name
    }

    /// Parses `encryption: {tool: age, identity: REF}` or `{tool: gpg, key: REF, passphrase: REF}`.
    static func parse(_ node: YAMLValue) throws(ConfigError) -> ArtifactDecryption {
        try node.rejectUnknownKeys(["tool", "identity", "key", "passphrase"])
        let toolNode = try node.required("tool", hint: "age or gpg")
        guard let tool = Tool(rawValue: try toolNode.string()) else { throw toolNode.error("expected age or gpg") }
        var references: [String: SecretReference] = [:]
        for name in ["identity", "key", "passphrase"] {
            guard let value = node[name] else { continue }
            guard let reference = SecretReference.parse(try value.string()) else {
                throw value.error("give \(name) by reference: env:NAME, file:PATH or command:CMD (never the value)")
            }
            references[name] = reference
        }
        switch tool {
        case .age:
            guard references["identity"] != nil else {
                _ = try node.required("identity", hint: "the age identity by reference, e.g. file:/run/secrets/backup.agekey")
                break
            }
            for name in ["key", "passphrase"] where references[name] != nil { throw node[name]!.error("age takes an identity, not a \(name)") }
        case .gpg:
            if let value = node["identity"] { throw value.error("gpg takes key: and/or passphrase:, not identity:") }
            guard references["key"] != nil || references["passphrase"] != nil else {
                throw node.error("gpg needs key: (a secret key, by reference) or passphrase: (symmetric encryption), or both")
            }
        }
        return ArtifactDecryption(tool: tool, identity: references["identity"], key: references["key"], passphrase: references["passphrase"])
    }

    /// The decryptor to run, reading ciphertext on standard input and writing `output`; key
    /// material goes into private files in `folder` (never on a command line).
    func invocation(output: String, folder: String, user: OSUser?) async throws -> ToolInvocation {
        switch tool {
        case .age:
            let text = try await identity!.resolve()
            let file = folder + "/age-identity"
            try ScratchDirectory.writePrivateFile(file, contents: text.hasSuffix("\n") ? text : text + "\n", owner: user)
            return ToolInvocation(executable: "age", arguments: ["--decrypt", "--identity", file, "--output", output], user: user, displayName: "age")
        case .gpg:
            let home = folder + "/gnupg"
            try ScratchDirectory.makeDirectory(home, owner: user)
            var arguments = ["--homedir", home, "--batch", "--no-tty", "--quiet", "--pinentry-mode", "loopback"]
            if let passphrase {
                let file = folder + "/gpg-passphrase"
                try ScratchDirectory.writePrivateFile(file, contents: try await passphrase.resolve(), owner: user)
                arguments += ["--passphrase-file", file]
            }
            if let key {
                let file = folder + "/gpg-key"
                try ScratchDirectory.writePrivateFile(file, contents: try await key.resolve(), owner: user)
                let imported = try await ProcessRunner.run(
                    ToolInvocation(executable: "gpg", arguments: arguments + ["--import", file], user: user, displayName: "gpg --import"))
                guard imported.succeeded else {
                    throw RestoreError(
                        .error, step: "decrypt",
                        "gpg cannot import the key \(keyReference): \(SecretMasker.shared.mask(imported.standardError.trimmingCharacters(in: .whitespacesAndNewlines)))")
                }
            }
            return ToolInvocation(
                executable: "gpg", arguments: arguments + ["--output", output, "--decrypt"], user: user, displayName: "gpg --decrypt")
        }
    }

    /// Whether a decryptor's message says the key does not fit (not that the bytes are damaged).
    func isWrongKey(_ message: String) -> Bool {
        switch tool {
        case .age: return message.contains("no identity matched") || message.contains("incorrect passphrase") || message.contains("malformed secret key")
        case .gpg:
            return message.contains("No secret key") || message.contains("decryption failed: Bad session key") || message.contains("Bad passphrase")
        }
    }

    /// Stops the gpg-agent a decryption started in `folder` (gpg daemonizes one per home, which
    /// would outlive the drill); nothing when gpg never ran there.
    static func stopAgents(in folder: String) async {
        let home = folder + "/gnupg"
        guard FileManager.default.fileExists(atPath: home) else { return }
        let owner = (try? FileManager.default.attributesOfItem(atPath: home)[.ownerAccountID] as? NSNumber)?.uint32Value
        let user = owner.flatMap { OSUser.isRoot && $0 != 0 ? OSUser.lookup(uid: $0) : nil }
        _ = try? await ProcessRunner.run(ToolInvocation(executable: "gpgconf", arguments: ["--homedir", home, "--kill", "all"], user: user, displayName: "gpgconf --kill"))
    }
}
