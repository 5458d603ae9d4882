import Foundation

/// What a child process inherits from the drill's own environment.
///
/// A drill runs in CI with production credentials in its environment, so nothing is inherited by
/// default: a child gets a short list of harmless variables (`PATH`, locale, `HOME`, `TMPDIR`...)
/// plus exactly what its `ToolInvocation` names. libpq variables (`PGSERVICE`, `PGHOSTADDR`,
/// `PGOPTIONS`, `PGSSL*`...) are never inherited: a `PGSERVICE` in the environment outranks
/// `PGHOST` (libpq reads the service file before the environment) and would send a restore
/// to the server the service names.
public enum ChildEnvironment: Sendable, Hashable {
    /// The harmless base only (the default for every child).
    case scrubbed
    /// The base plus the variables named here, when the drill's own process has them (a
    /// container CLI's `DOCKER_HOST`, for instance).
    case scrubbedPlus(Set<String>)
    /// Everything the drill has, except libpq variables and variables holding a registered
    /// secret: for operator tools that look their own configuration up (a secret command).
    case operatorTool

    /// Variables every child may inherit: where programs are, locale, time zone, terminal,
    /// temp dir and home. None of them carries a credential or a connection.
    public static let harmless: Set<String> = [
        "PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TERM", "TMPDIR", "USER", "LOGNAME", "SHELL",
    ]

    /// The environment a child starts from, before its invocation's own variables.
    public func base(from inherited: [String: String] = ProcessInfo.processInfo.environment, masker: SecretMasker = .shared)
        -> [String: String]
    {
        var result: [String: String] = [:]
        for (key, value) in inherited {
            let keep: Bool
            switch self {
            case .scrubbed: keep = Self.isHarmless(key)
            case .scrubbedPlus(let extra): keep = Self.isHarmless(key) || extra.contains(key)
            case .operatorTool: keep = !LibpqEnvironment.isLibpqVariable(key) && !masker.isSecret(value)
            }
            if keep { result[key] = value }
        }
        return result
    }

    static func isHarmless(_ key: String) -> Bool {
        harmless.contains(key) || key.hasPrefix("LC_")
    }
}

/// The libpq variables of the drill's own process.
///
/// In-process connections (the drill's own libpq) read the environment for every keyword they
/// are not given, and an empty keyword counts as not given: the only way to keep `PGSERVICE`,
/// `PGHOSTADDR` or `PGOPTIONS` from steering them is to remove those variables from the process
/// before the first connection. `scrubProcess()` does that once and remembers the names (never
/// the values) so the report can say what was ignored.
public enum LibpqEnvironment {
    /// True for a variable libpq reads (`PG*`, as listed in libpq's environment-variable docs).
    public static func isLibpqVariable(_ key: String) -> Bool { key.hasPrefix("PG") }

    private static let removed: [String] = {
        let names = ProcessInfo.processInfo.environment.keys.filter(isLibpqVariable).sorted()
        for name in names { unsetenv(name) }
        return names
    }()

    /// Removes every libpq variable from this process (once); returns the names that were set.
    @discardableResult
    public static func scrubProcess() -> [String] { removed }
}
