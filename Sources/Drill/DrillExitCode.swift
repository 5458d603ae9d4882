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
