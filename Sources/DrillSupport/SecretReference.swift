import Foundation

/// Where a secret comes from: drill files hold references, never values.
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    /// An environment variable of the drill's process.
    case environment(String)
    /// A file whose content (without the trailing newline) is the secret.
    case file(String)
    /// A shell command whose standard output is the secret (Vault, KMS, `pass`...).
    case command(String)

    /// Parses `env:NAME`, `file:PATH` or `command:CMD`; nil when `text` is not a reference.
    public static func parse(_ text: String) -> SecretReference? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (prefix, make) in [
            ("env:", SecretReference.environment), ("file:", SecretReference.file),
            ("command:", SecretReference.command),
        ] as [(String, (String) -> SecretReference)] where trimmed.hasPrefix(prefix) {
            let rest = String(trimmed.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            return rest.isEmpty ? nil : make(rest)
        }
        return nil
    }

    /// The reference as written, which is safe to print.
    public var description: String {
        switch self {
        case .environment(let name): return "env:\(name)"
        case .file(let path): return "file:\(path)"
        case .command(let command): return "command:\(command)"
        }
    }

    /// Reads the secret's value and registers it with `masker` so it can never be printed.
    public func resolve(masker: SecretMasker = .shared) async throws(SecretError) -> String {
        let value: String
        switch self {
        case .environment(let name):
            guard let found = ProcessInfo.processInfo.environment[name], !found.isEmpty else {
                throw SecretError(reference: self, reason: "the environment variable \(name) is not set or empty")
            }
            value = found
        case .file(let path):
            do {
                value = try String(contentsOfFile: path, encoding: .utf8).trimmingTrailingNewlines()
            } catch {
                throw SecretError(reference: self, reason: "cannot read \(path): \(YAMLValue.describe(error))")
            }
        case .command(let command):
            let result: ToolResult
            do {
                result = try await ProcessRunner.run(
                    ToolInvocation(executable: "/bin/sh", arguments: ["-c", command], displayName: "secret command").inheriting(.operatorTool))
            } catch {
                throw SecretError(reference: self, reason: "could not run: \(error)")
            }
            guard result.succeeded else {
                throw SecretError(reference: self, reason: "the command \(result.terminationDescription)")
            }
            value = result.standardOutput.trimmingTrailingNewlines()
        }
        guard !value.isEmpty else { throw SecretError(reference: self, reason: "the secret is empty") }
        guard value.count >= SecretMasker.minimumLength else {
            throw SecretError(
                reference: self,
                reason: "the secret has \(value.count) character(s); secrets under \(SecretMasker.minimumLength) characters cannot be masked in logs and reports without mangling them, so they are refused. Use a longer one.")
        }
        masker.register(value)
        return value
    }
}

/// A secret reference that could not be resolved; names the reference, never a value.
public struct SecretError: Error, Sendable, CustomStringConvertible {
    /// The reference that failed.
    public var reference: SecretReference
    /// Why, in words.
    public var reason: String

    public var description: String { "secret \(reference) could not be resolved: \(reason)" }
}

extension String {
    /// The string without trailing `\n`/`\r\n`, the way `$(cmd)` reads a value.
    public func trimmingTrailingNewlines() -> String {
        var result = Substring(self)
        while let last = result.last, last == "\n" || last == "\r" { result = result.dropLast() }
        return String(result)
    }
}
