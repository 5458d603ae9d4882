import DrillSupport
import Provisioning
import Recovery
import Restore

/// The exit codes CI acts on.
public enum DrillExitCode: Int32, Sendable {
    /// Every check passed.
    case passed = 0
    /// A check failed: the backup or the restored system is not good enough.
    case failed = 1
    /// The drill file or the arguments are wrong.
    case usage = 2
    /// The harness could not run (binaries missing, store unreachable, server would not start).
    case harness = 3
    /// Interrupted by SIGINT or SIGTERM, after teardown.
    case interrupted = 130
}

extension DrillExitCode {
    /// The code an error that ends a drill (or a command) maps to: what the user wrote is
    /// wrong (2), the backup is bad (1), interrupted (130), or the harness could not run (3).
    public init(for error: any Error) {
        switch error {
        case is ConfigError, is SecretError, is SelectionError: self = .usage
        case let error as RestoreError: self = error.kind == .failure ? .failed : .harness
        case is CancellationError: self = .interrupted
        default: self = .harness
        }
    }
}
