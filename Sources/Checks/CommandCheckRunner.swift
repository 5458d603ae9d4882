import DrillSupport
import Foundation
import Synchronization

/// Runs one `command` check: the restored server in PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE,
/// the drill in `DRILL_*`, in its own process group (killed with its children on timeout).
enum CommandCheckRunner {
    /// Captured bytes kept per stream.
    static let outputLimit = 64 * 1024

    static func run(_ check: CheckDefinition, spec: CommandCheck, context: CheckContext) async -> CheckResult {
        var result = CheckResult(check: check, status: .error, duration: .zero, message: "", observed: "")
        var environment: [String: String]
        do {
            environment = try context.programEnvironment(adding: spec.environment)
        } catch {
            result.message = "cannot build its environment: \(error)"
            return result
        }
        environment["DRILL_CHECK_ID"] = check.id
        let outcome: ToolResult
        // TAP is read as it is printed, whole; only the text kept for the report is capped.
        let stream = Mutex(TAPStream())
        do {
            outcome = try await ProcessRunner.run(
                context.contained(
                    ToolInvocation(
                        executable: spec.program, arguments: spec.arguments, environment: environment,
                        workingDirectory: spec.workingDirectory, displayName: "check \(check.id)", captureLimit: outputLimit,
                        onLine: { line, source in if source == .standardOutput { stream.withLock { $0.consume(line) } } },
                        gracePeriod: .seconds(2))))
        } catch is CancellationError {
            result.message = "was stopped"
            return result
        } catch {
            result.message = "could not start: \(error)"
            return result
        }
        let note = outcome.truncated ? "\n[output truncated: the last \(outputLimit / 1024) KiB of each stream are kept]" : ""
        result.standardOutput = SecretMasker.shared.mask(outcome.standardOutput) + (outcome.standardOutput.isEmpty ? "" : note)
        result.standardError = SecretMasker.shared.mask(outcome.standardError)
        result.tap = stream.withLock { $0.document }
        (result.status, result.message) = judge(outcome, tap: result.tap)
        result.message = SecretMasker.shared.mask(result.message)
        return result
    }

    /// Exit 0 passes, 77 skips, 1 fails, anything else is an error; failed TAP tests fail the check.
    static func judge(_ outcome: ToolResult, tap: TAPDocument?) -> (CheckStatus, String) {
        if let signal = outcome.signal { return (.error, "was killed by signal \(signal)") }
        let code = outcome.exitCode ?? -1
        if code == 77 { return (.skipped, lastLine(outcome.standardOutput + "\n" + outcome.standardError) ?? "skipped (exit 77)") }
        if let bail = tap?.bailOut { return (.error, "bailed out: \(bail)") }
        if code != 0 && code != 1 && !(tap != nil && code < 77) {
            return (.error, "exited with code \(code) (0 passes, 1 fails, 77 skips; anything else is an error): \(lastLine(outcome.standardError) ?? "")")
        }
        if let tap {
            let failed = tap.tests.filter { $0.outcome == .failed }
            if let first = failed.first {
                return (.failed, "\(failed.count) of \(tap.tests.count) TAP test(s) failed, first: \(first.description.isEmpty ? "#\(first.number)" : first.description)")
            }
            if let problem = tap.problems.first { return (.failed, problem) }
            if code != 0 { return (.failed, "exited with code \(code) though every TAP test passed: \(lastLine(outcome.standardError) ?? "")") }
            return (.passed, "")
        }
        if code == 1 { return (.failed, lastLine(outcome.standardError) ?? lastLine(outcome.standardOutput) ?? "exited with code 1") }
        return (.passed, "")
    }

    static func lastLine(_ text: String) -> String? {
        text.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
