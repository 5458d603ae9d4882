import ArgumentParser
import Drill
import DrillSupport
import Foundation
import Reports

/// The last lines a drill prints, and how errors outside a drill become exit codes.
enum Conclusion {
    static func print(_ outcome: DrillOutcome, quiet: Bool) {
        let report = outcome.report
        var lines: [String] = []
        let problems = report.suites.flatMap { suite in
            suite.cases.filter { $0.status == .failed || $0.status == .error }.map { (suite.name, $0) }
        }
        for (suite, item) in problems {
            lines.append("  \(item.status == .failed ? "FAILED" : "ERROR ") [\(suite)] \(item.name): \(item.message ?? "")")
        }
        let seconds = report.finishedAt.timeIntervalSince(report.startedAt)
        lines.append("restore-drill: drill \(report.drill) \(report.status.rawValue) in \(String(format: "%.1f", seconds))s (exit \(outcome.exitCode.rawValue))")
        if !outcome.reportPaths.isEmpty { lines.append("reports: \(outcome.reportPaths.joined(separator: ", "))") }
        if let keep = outcome.keepInstructions { lines.append(keep) }
        FileHandle.standardError.write(Data(SecretMasker.shared.mask(lines.joined(separator: "\n") + "\n").utf8))
        let annotations = WorkflowAnnotations.lines(for: report, environment: ProcessInfo.processInfo.environment)
        if !annotations.isEmpty {
            FileHandle.standardOutput.write(Data(SecretMasker.shared.mask(annotations.joined(separator: "\n") + "\n").utf8))
        }
    }

    /// Prints `error` and returns the exit code it maps to.
    static func fail(_ error: any Error) -> ExitCode {
        let code = DrillExitCode(for: error)
        FileHandle.standardError.write(Data(SecretMasker.shared.mask("restore-drill: \(error)\n").utf8))
        return ExitCode(code.rawValue)
    }
}
