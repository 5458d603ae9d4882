import Foundation

/// One run of an external program (a PostgreSQL tool, a decompressor, a check script).
public struct ToolInvocation: Sendable {
    /// Where a program's standard input comes from.
    public enum Input: Sendable {
        /// `/dev/null`.
        case none
        /// A file opened read-only.
        case file(String)
    }

    /// Which output stream a line came from.
    public enum Stream: Sendable { case standardOutput, standardError }

    /// Absolute path of the program, or a bare name looked up in `PATH`.
    public var executable: String
    /// Arguments, passed as they are (no shell).
    public var arguments: [String]
    /// The child's own variables, added to what `inherit` lets through.
    public var environment: [String: String]
    /// What the child inherits from the drill's environment (by default only harmless variables).
    public var inherit: ChildEnvironment = .scrubbed
    /// Working directory; the current one when nil.
    public var workingDirectory: String?
    /// Account to run as; only honoured when this process is root.
    public var user: OSUser?
    /// Standard input.
    public var input: Input
    /// When set, standard output goes to this file instead of being captured.
    public var outputFile: String?
    /// Name used in messages ("pg_restore", "check audit-log").
    public var displayName: String
    /// Captured bytes kept per stream: the last ones, since errors come at the end.
    public var captureLimit: Int
    /// Called with every output line as it arrives (progress, `--verbose`).
    public var onLine: (@Sendable (String, Stream) -> Void)?
    /// Time between SIGTERM and SIGKILL when the run is cancelled.
    public var gracePeriod: Duration
    /// Called with the process id once the program has started (to signal it, to watch it).
    public var onStart: (@Sendable (Int32) -> Void)?
    /// A descriptor that becomes the program's standard input (closed here once it started):
    /// the read end of a pipe the drill writes into.
    public var pipeInput: Int32?
    /// A descriptor that becomes the program's standard output (closed here once it started).
    public var pipeOutput: Int32?

    /// Describes a run of `executable` with `arguments`.
    public init(
        executable: String, arguments: [String] = [], environment: [String: String] = [:],
        workingDirectory: String? = nil, user: OSUser? = nil, input: Input = .none, outputFile: String? = nil,
        displayName: String? = nil, captureLimit: Int = 256 * 1024,
        onLine: (@Sendable (String, Stream) -> Void)? = nil, gracePeriod: Duration = .seconds(5)
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.user = user
        self.input = input
        self.outputFile = outputFile
        self.displayName = displayName ?? (executable as NSString).lastPathComponent
        self.captureLimit = captureLimit
        self.onLine = onLine
        self.gracePeriod = gracePeriod
    }

    /// The same invocation with another inheritance rule.
    public func inheriting(_ rule: ChildEnvironment) -> ToolInvocation {
        var copy = self
        copy.inherit = rule
        return copy
    }

    /// The command line as a user would type it, with secrets masked.
    public var commandLine: String {
        let quoted = ([executable] + arguments).map { word in
            word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:@,".contains($0) } && !word.isEmpty
                ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        return SecretMasker.shared.mask(quoted.joined(separator: " "))
    }
}

/// How a program ended and what it printed.
public struct ToolResult: Sendable {
    /// The exit code, when the program exited.
    public var exitCode: Int32?
    /// The signal that ended it, when one did.
    public var signal: Int32?
    /// Captured standard output (its tail when longer than the capture limit).
    public var standardOutput: String
    /// Captured standard error (its tail when longer than the capture limit).
    public var standardError: String
    /// True when some output was dropped to respect the capture limit.
    public var truncated: Bool
    /// Wall time.
    public var duration: Duration
    /// The process id it ran as.
    public var processID: Int32

    /// True for exit code 0.
    public var succeeded: Bool { exitCode == 0 }

    /// "exited with code 1" / "was killed by signal 9".
    public var terminationDescription: String {
        if let exitCode { return "exited with code \(exitCode)" }
        if let signal { return "was killed by signal \(signal) (\(String(cString: strsignal(signal))))" }
        return "ended in an unknown way"
    }
}

/// A program that could not be started at all.
public struct ToolLaunchError: Error, Sendable, CustomStringConvertible {
    /// The program's display name.
    public var tool: String
    /// The path tried.
    public var executable: String
    /// Why it could not start.
    public var reason: String

    public var description: String { "could not start \(tool) (\(executable)): \(reason)" }
}
