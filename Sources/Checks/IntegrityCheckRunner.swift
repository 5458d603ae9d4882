import DrillSupport
import Foundation

/// Runs `pg_amcheck` on the restored database. Exit 0: no corruption; 2: corruption found
/// (the findings name relation and problem); anything else: it could not check.
enum IntegrityCheckRunner {
    static func run(_ check: CheckDefinition, spec: IntegrityCheck, context: CheckContext) async -> (CheckStatus, String, String) {
        let database = spec.database ?? context.connection.database
        var arguments = ["--install-missing", "--database=\(database)", "--progress"]
        if spec.heapAllIndexed { arguments.append("--heapallindexed") }
        let outcome: ToolResult
        do {
            outcome = try await ProcessRunner.run(
                context.contained(
                    ToolInvocation(
                        executable: context.binDirectory + "/pg_amcheck", arguments: arguments,
                        environment: context.connection.with(database: database).libpqEnvironment, displayName: "pg_amcheck",
                        captureLimit: 256 * 1024), ownProcessNamespace: false))
        } catch {
            return (.error, "pg_amcheck could not run: \(error)", "")
        }
        let findings = SecretMasker.shared.mask(outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        switch outcome.exitCode {
        case 0: return (.passed, "", "pg_amcheck found no corruption in \(database)")
        case 2:
            let first = findings.split(separator: "\n").prefix(3).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            return (.failed, "pg_amcheck found corruption: \(first)", findings)
        default:
            return (.error, "pg_amcheck \(outcome.terminationDescription): \(outcome.standardError.trimmingCharacters(in: .whitespacesAndNewlines))", findings)
        }
    }
}
