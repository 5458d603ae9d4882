import DrillSupport
import Foundation

/// Runs the built `restore-drill` executable the way a user or CI does, and reads what it left.
public struct DrillCLI: Sendable {
    /// What one run produced.
    public struct Run: Sendable {
        public var exitCode: Int32?
        /// The signal that ended it (SIGKILL from a test), when one did.
        public var signal: Int32? = nil
        public var standardOutput: String
        public var standardError: String
        /// Everything printed, for "never appears in output" assertions.
        public var allOutput: String { standardOutput + standardError }
    }

    /// Runs `restore-drill ARGS` with TMPDIR inside `workspace` and `environment` added.
    public static func run(
        _ arguments: [String], workspace: TestWorkspace, environment: [String: String] = [:],
        onStart: (@Sendable (Int32) -> Void)? = nil, onLine: (@Sendable (String) -> Void)? = nil, workingDirectory: String? = nil
    ) async throws -> Run {
        var env = environment
        env["TMPDIR"] = workspace.tmp
        // A test may give its own (an empty one: found the way an installed binary finds it).
        if env["RESTORE_DRILL_HOME"] == nil { env["RESTORE_DRILL_HOME"] = RepositoryPaths.root }
        var lineHandler: (@Sendable (String, ToolInvocation.Stream) -> Void)?
        if let onLine { lineHandler = { line, _ in onLine(line) } }
        var invocation = ToolInvocation(
            executable: RepositoryPaths.executable, arguments: arguments, environment: env, workingDirectory: workingDirectory ?? workspace.path,
            displayName: "restore-drill", captureLimit: 4 << 20, onLine: lineHandler)
        invocation.onStart = onStart
        let result = try await ProcessRunner.run(invocation)
        return Run(exitCode: result.exitCode, signal: result.signal, standardOutput: result.standardOutput, standardError: result.standardError)
    }

    /// Runs another program (a wrapper around the executable) with the same environment rules.
    public static func runProgram(_ program: String, _ arguments: [String], workspace: TestWorkspace, environment: [String: String] = [:]) async throws -> Run {
        var env = environment
        env["TMPDIR"] = workspace.tmp
        if env["RESTORE_DRILL_HOME"] == nil { env["RESTORE_DRILL_HOME"] = RepositoryPaths.root }
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: program, arguments: arguments, environment: env, workingDirectory: workspace.path, captureLimit: 4 << 20))
        return Run(exitCode: result.exitCode, standardOutput: result.standardOutput, standardError: result.standardError)
    }

    /// Validates `junit.xml` against the Jenkins JUnit schema with xmllint; returns xmllint's complaint or nil.
    public static func schemaProblems(junit path: String) async throws -> String? {
        let result = try await ProcessRunner.run(
            ToolInvocation(executable: "xmllint", arguments: ["--noout", "--schema", RepositoryPaths.junitSchema, path]))
        return result.succeeded ? nil : result.standardError
    }

    /// The parsed `report.json` in `directory`.
    public static func report(in directory: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: directory + "/report.json"),
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw TestSupportError("no readable report.json in \(directory)") }
        return object
    }

    /// Every file the drill wrote into `directory`, concatenated.
    public static func reportTexts(in directory: String) -> String {
        ["junit.xml", "report.json", "summary.md"].compactMap { try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }
            .joined(separator: "\n")
    }
}
