import DrillSupport
import Foundation

/// How a check ended: `failed` means the restored system is wrong, `error` that the check could not run.
public enum CheckStatus: String, Sendable, Codable {
    case passed, failed, error, skipped
}

/// The outcome of one check.
public struct CheckResult: Sendable {
    /// The check.
    public var check: CheckDefinition
    /// Outcome.
    public var status: CheckStatus
    /// Wall time.
    public var duration: Duration
    /// What happened, in words (empty when passed).
    public var message: String
    /// What the check observed (the value, the row count), for the report body.
    public var observed: String
    /// A command check's standard output and error (masked, maybe truncated).
    public var standardOutput: String = ""
    public var standardError: String = ""
    /// The TAP a command check printed, when it printed TAP.
    public var tap: TAPDocument?

    /// A result.
    public init(check: CheckDefinition, status: CheckStatus, duration: Duration, message: String, observed: String) {
        self.check = check
        self.status = status
        self.duration = duration
        self.message = message
        self.observed = observed
    }
}
