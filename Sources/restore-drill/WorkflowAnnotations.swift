import Drill
import Foundation
import Reports

/// On GitHub Actions (`GITHUB_ACTIONS=true`), a drill's failures and errors as workflow commands
/// on standard output (`::error title=...::message`), so they show on the run's summary page and
/// not only in the log. Messages come partly from the backup (object names in psql's errors):
/// escaped as the runner requires, a message can never begin a line of its own, so it cannot
/// issue a command.
enum WorkflowAnnotations {
    /// GitHub shows this many annotations of one kind per step; the rest are counted in one more.
    static let shownPerStep = 10

    static func lines(for report: DrillReport, environment: [String: String]) -> [String] {
        guard environment["GITHUB_ACTIONS"] == "true" else { return [] }
        let problems = report.suites.flatMap { suite in
            suite.cases.filter { $0.status == .failed || $0.status == .error }.map { (suite.name, $0) }
        }
        var lines = problems.prefix(shownPerStep).map { suite, item in
            let kind = item.status == .failed ? "failed" : "error"
            return "::error title=\(property("restore-drill \(report.drill): [\(suite)] \(item.name) (\(kind))"))::\(data(item.message ?? item.name))"
        }
        if problems.count > shownPerStep {
            lines.append("::error title=\(property("restore-drill \(report.drill)"))::\(data("\(problems.count - shownPerStep) more failed or errored case(s): see the JUnit and JSON reports"))")
        }
        return lines
    }

    /// Workflow-command data: `%`, CR and LF escaped.
    static func data(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A workflow-command property: also `:` and `,`.
    static func property(_ text: String) -> String {
        data(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
