import DrillSupport
import Foundation

/// Writes a Markdown summary for CI step summaries (`$GITHUB_STEP_SUMMARY`) and the runbook's drill record.
public enum MarkdownSummaryWriter {
    /// The Markdown text.
    public static func render(_ report: DrillReport) -> String {
        let icon = ["passed": "✅", "failed": "❌", "error": "⚠️"][report.status.rawValue] ?? ""
        var lines = [
            "# \(icon) Restore drill `\(cell(report.drill))`: \(report.status.rawValue)", "",
            "| | |", "|---|---|",
            "| Started | \(ISO8601DateFormatter().string(from: report.startedAt)) |",
            "| Backup | `\(cell(report.backup.location))` (\(report.backup.format)\(report.backup.size.map { ", \(ByteCount($0))" } ?? "")) |",
        ]
        if let sha = report.backup.sha256 { lines.append("| SHA-256 | `\(sha)` |") }
        if let created = report.backup.createdAt { lines.append("| Backup taken | \(ISO8601DateFormatter().string(from: created)) |") }
        lines.append("| PostgreSQL | \(report.postgres.version ?? "unknown") via \(report.postgres.provisioner) |")
        lines.append("| RTO | \(measured(report.measurements.rtoSeconds, target: report.targets.rtoSeconds)) |")
        lines.append("| RPO | \(measured(report.measurements.rpoSeconds, target: report.targets.rpoSeconds)) |")
        lines.append("| Exit code | \(report.exitCode) |")
        lines += ["", "## Phases", "", "| Phase | Result | Time |", "|---|---|---|"]
        for phase in report.phases { lines.append("| \(phase.name) | \(mark(phase.status)) | \(String(format: "%.1fs", phase.seconds)) |") }
        if !report.checks.isEmpty {
            lines += ["", "## Checks", "", "| Check | Pack | Result | Time | Message |", "|---|---|---|---|---|"]
            for check in report.checks {
                lines.append(
                    "| \(cell(check.name)) | \(cell(check.pack)) | \(mark(check.status)) | \(String(format: "%.2fs", check.seconds)) | \(cell(check.message ?? "")) |")
            }
        }
        let problems = report.suites.flatMap { suite in suite.cases.filter { $0.status == .failed || $0.status == .error }.map { (suite.name, $0) } }
        if !problems.isEmpty {
            lines += ["", "## What went wrong", ""]
            for (suite, item) in problems {
                lines.append("- **\(item.status == .failed ? "failure" : "error")** in `\(suite)`, \(cell(item.name)): \(cell(item.message ?? ""))")
            }
        }
        return SecretMasker.shared.mask(lines.joined(separator: "\n") + "\n")
    }

    private static func mark(_ status: CaseStatus) -> String {
        switch status {
        case .passed: return "✅ passed"
        case .failed: return "❌ failed"
        case .error: return "⚠️ error"
        case .skipped: return "⏭️ skipped"
        }
    }

    private static func measured(_ value: Double?, target: Double?) -> String {
        let text = value.map { DrillDuration.format(.milliseconds(Int64($0 * 1000))) } ?? "not measured"
        guard let target else { return text }
        return "\(text) (target \(DrillDuration.format(.milliseconds(Int64(target * 1000)))))"
    }

    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
