import DrillSupport
import Foundation

/// `report.html`: the drill at a glance for people (the JSON and JUnit are for machines). One
/// self-contained file: inline CSS and SVG, no script, no font, no image, and a content
/// security policy that forbids fetching anything, so it opens the same from a CI artifact,
/// a mail attachment or an evidence bundle.
public enum HTMLReportWriter {
    /// The page for `report`; with `history` (this drill's runs, oldest first, this one
    /// included), RTO and RPO over time as a chart against their targets.
    public static func render(_ report: DrillReport, history: [DrillHistory.Entry] = []) -> String {
        var body: [String] = []
        body.append("<header class=\"\(report.status.rawValue)\"><h1>\(escape(report.drill))</h1><p class=\"verdict\">\(verdict(report))</p></header>")
        body.append(glance(report))
        body.append(targets(report))
        body.append(timeline(report.phases))
        body.append(checks(report))
        body.append(problems(report))
        if history.count >= 2 { body.append(trend(history)) }
        let page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Restore drill \(escape(report.drill)): \(report.status.rawValue)</title>
            <style>\(style)</style>
            </head>
            <body>
            \(body.filter { !$0.isEmpty }.joined(separator: "\n"))
            <footer>restore-drill \(escape(report.properties["restore_drill.version"] ?? "")) on \(escape(report.hostname)), \(TimestampText.iso(report.finishedAt))</footer>
            </body>
            </html>

            """
        return SecretMasker.shared.mask(page)
    }

    /// Writes `report.html` into `directory` and returns its path.
    public static func write(_ report: DrillReport, history: [DrillHistory.Entry], to directory: String) throws -> String {
        let path = directory + "/report.html"
        try render(report, history: history).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func verdict(_ report: DrillReport) -> String {
        let words = ["passed": "the backup restored and every check passed", "failed": "the backup is not good enough", "error": "the drill could not judge the backup"]
        return "\(report.status.rawValue.uppercased()): \(words[report.status.rawValue] ?? "") (exit \(report.exitCode)), "
            + "\(DrillDuration.format(.seconds(report.finishedAt.timeIntervalSince(report.startedAt)))) from \(TimestampText.iso(report.startedAt))"
    }

    static func glance(_ report: DrillReport) -> String {
        var rows: [(String, String)] = [("Backup", "<code>\(escape(report.backup.location))</code> (\(escape(report.backup.format))\(report.backup.size.map { ", \(ByteCount($0))" } ?? ""))")]
        if let sha = report.backup.sha256 { rows.append(("SHA-256", "<code>\(escape(sha))</code>")) }
        if let created = report.backup.createdAt { rows.append(("Backup taken", TimestampText.iso(created))) }
        if let why = report.properties["backup.chosen_because"] { rows.append(("Chosen because", escape(why))) }
        if let recovery = report.recovery {
            rows.append(("Recovery target", "\(escape(recovery.target.type)) \(escape(recovery.target.value)): \(recovery.reached ? "reached" : "<strong>not reached</strong>")"))
            if let last = recovery.lastCommitTime { rows.append(("Last recovered commit", TimestampText.iso(last))) }
        }
        rows.append(("PostgreSQL", "\(escape(report.postgres.version ?? "unknown")) via \(escape(report.postgres.provisioner))"))
        return "<section><h2>At a glance</h2><table class=\"glance\">" + rows.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>" }.joined() + "</table></section>"
    }

    /// RTO and RPO as bars against their targets (the target is the full width).
    static func targets(_ report: DrillReport) -> String {
        func bar(_ name: String, _ measured: Double?, _ target: Double?) -> String {
            guard let measured else { return "<div class=\"measure\"><span class=\"label\">\(name)</span> not measured\(target.map { " (target \(DrillHistory.format($0)))" } ?? "")</div>" }
            guard let target, target > 0 else { return "<div class=\"measure\"><span class=\"label\">\(name)</span> \(DrillHistory.format(measured)), no target</div>" }
            let share = measured / target
            let width = min(100, share * 100)
            let state = share > 1 ? "over" : share >= 0.8 ? "near" : "within"
            return """
                <div class="measure"><span class="label">\(name)</span> \(DrillHistory.format(measured)) of \(DrillHistory.format(target)) (\(Int((share * 100).rounded()))%)
                <svg class="bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="\(name) \(Int((share * 100).rounded()))% of its target"><rect width="100" height="6" class="track"/><rect width="\(String(format: "%.2f", width))" height="6" class="\(state)"/></svg></div>
                """
        }
        return "<section><h2>Targets</h2>" + bar("RTO", report.measurements.rtoSeconds, report.targets.rtoSeconds)
            + bar("RPO", report.measurements.rpoSeconds, report.targets.rpoSeconds) + "</section>"
    }

    /// Phases as bars on one time axis, in the order they ran (each starts where the one before ended).
    static func timeline(_ phases: [DrillReport.Phase]) -> String {
        guard !phases.isEmpty else { return "" }
        let total = max(0.001, phases.reduce(0) { $0 + $1.seconds })
        let rowHeight = 22
        let labelWidth = 130
        let chartWidth = 600
        var start = 0.0
        var rows: [String] = []
        for (index, phase) in phases.enumerated() {
            let y = index * rowHeight
            let x = Double(labelWidth) + start / total * Double(chartWidth)
            let width = max(1.5, phase.seconds / total * Double(chartWidth))
            rows.append(
                "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(escape(phase.name))</text>"
                    + "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(y + 4)\" width=\"\(String(format: "%.1f", width))\" height=\"14\" class=\"\(phase.status.rawValue)\"><title>\(escape(phase.name)): \(String(format: "%.1f", phase.seconds)) s, \(phase.status.rawValue)</title></rect>"
                    + "<text x=\"\(String(format: "%.1f", x + width + 4))\" y=\"\(y + 15)\" class=\"time\">\(String(format: "%.1f", phase.seconds)) s</text>")
            start += phase.seconds
        }
        let height = phases.count * rowHeight + 4
        return "<section><h2>Phases</h2><svg class=\"timeline\" viewBox=\"0 0 \(labelWidth + chartWidth + 70) \(height)\" role=\"img\" aria-label=\"phase timeline\">"
            + rows.joined() + "</svg></section>"
    }

    static func checks(_ report: DrillReport) -> String {
        guard !report.checks.isEmpty else { return "" }
        let rows = report.checks.map { check in
            "<tr class=\"\(check.status.rawValue)\"><td>\(escape(check.name))<br><code>\(escape(check.id))</code></td><td>\(escape(check.pack))</td><td class=\"status\">\(check.status.rawValue)</td><td class=\"time\">\(String(format: "%.2f", check.seconds)) s</td><td>\(escape(check.message ?? ""))</td></tr>"
        }
        return "<section><h2>Checks</h2><table class=\"checks\"><tr><th>Check</th><th>Pack</th><th>Result</th><th>Time</th><th>Message</th></tr>"
            + rows.joined() + "</table></section>"
    }

    static func problems(_ report: DrillReport) -> String {
        let items = report.suites.flatMap { suite in
            suite.cases.filter { $0.status == .failed || $0.status == .error }.map { item in
                "<li class=\"\(item.status.rawValue)\"><strong>\(item.status == .failed ? "failure" : "error")</strong> in <code>\(escape(suite.name))</code>, \(escape(item.name)): \(escape(item.message ?? ""))</li>"
            }
        }
        return items.isEmpty ? "" : "<section><h2>What went wrong</h2><ul class=\"problems\">" + items.joined() + "</ul></section>"
    }

    /// RTO and RPO of each run as points over time, each against its target line.
    static func trend(_ runs: [DrillHistory.Entry]) -> String {
        func chart(_ name: String, _ value: (DrillHistory.Entry) -> Double?, _ target: (DrillHistory.Entry) -> Double?) -> String {
            let points = runs.enumerated().compactMap { index, run in value(run).map { (index, $0, run) } }
            guard !points.isEmpty else { return "<p>\(name): no run measured it.</p>" }
            let width = 640.0
            let height = 140.0
            // The scale follows the runs; a target far above them is named instead of flattening them.
            let highest = max(points.map(\.1).max() ?? 1, 0.001)
            let latestTarget = runs.last.flatMap(target)
            let targetOnChart = latestTarget.map { $0 <= highest * 2.5 } ?? false
            let top = max(highest, targetOnChart ? latestTarget ?? 0 : 0) * 1.15
            let step = runs.count > 1 ? (width - 60) / Double(runs.count - 1) : 0
            func x(_ index: Int) -> Double { 44 + Double(index) * step }
            func y(_ seconds: Double) -> Double { height - 20 - seconds / max(top, 0.001) * (height - 30) }
            var parts: [String] = []
            parts.append("<line x1=\"40\" y1=\"\(y(0))\" x2=\"\(width - 20)\" y2=\"\(y(0))\" class=\"axis\"/>")
            parts.append("<text x=\"36\" y=\"\(String(format: "%.1f", y(highest) + 4))\" text-anchor=\"end\" class=\"time\">\(DrillHistory.format(highest))</text>")
            if let latest = latestTarget, !targetOnChart {
                parts.append("<text x=\"\(width - 20)\" y=\"12\" text-anchor=\"end\" class=\"time\">target \(DrillHistory.format(latest)), far above every run</text>")
            }
            if let latest = latestTarget, targetOnChart {
                parts.append("<line x1=\"40\" y1=\"\(String(format: "%.1f", y(latest)))\" x2=\"\(width - 20)\" y2=\"\(String(format: "%.1f", y(latest)))\" class=\"target\"/>")
                parts.append("<text x=\"\(width - 20)\" y=\"\(String(format: "%.1f", y(latest) - 4))\" text-anchor=\"end\" class=\"time\">target \(DrillHistory.format(latest))</text>")
            }
            let path = points.map { "\(String(format: "%.1f", x($0.0))),\(String(format: "%.1f", y($0.1)))" }.joined(separator: " ")
            parts.append("<polyline points=\"\(path)\" class=\"line\"/>")
            for (index, seconds, run) in points {
                parts.append(
                    "<circle cx=\"\(String(format: "%.1f", x(index)))\" cy=\"\(String(format: "%.1f", y(seconds)))\" r=\"4\" class=\"\(escape(run.status))\"><title>\(TimestampText.iso(run.startedAt)): \(DrillHistory.format(seconds)), \(escape(run.status))</title></circle>")
            }
            parts.append("<text x=\"40\" y=\"\(height - 4)\" class=\"time\">\(TimestampText.iso(runs.first!.startedAt).prefix(10))</text>")
            parts.append("<text x=\"\(width - 20)\" y=\"\(height - 4)\" text-anchor=\"end\" class=\"time\">\(TimestampText.iso(runs.last!.startedAt).prefix(10))</text>")
            return "<h3>\(name)</h3><svg class=\"trend\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(name) over \(runs.count) runs\">" + parts.joined() + "</svg>"
        }
        let trend = DrillHistory.trend(runs)
        let summary = "\(trend.runs) runs, \(trend.passed) passed; RTO median \(trend.medianRTO.map(DrillHistory.format) ?? "-"), p90 \(trend.p90RTO.map(DrillHistory.format) ?? "-"), last \(trend.lastRTO.map(DrillHistory.format) ?? "-")"
        let warning = trend.warning.map { "<p class=\"warning\">\(escape($0))</p>" } ?? ""
        return "<section><h2>Over time</h2><p>\(summary)</p>\(warning)" + chart("RTO", \.rtoSeconds, \.rtoTargetSeconds) + chart("RPO", \.rpoSeconds, \.rpoTargetSeconds) + "</section>"
    }

    /// Text for the page: XML's escapes (`&apos;` included) are HTML's too, and characters
    /// XML forbids are dropped the same way.
    static func escape(_ text: String) -> String { XMLText.escape(text) }

    static let style = """
        body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:0 16px 32px;color:#1d2125}
        header{padding:14px 18px;border-radius:0 0 8px 8px;color:#fff}header h1{margin:0;font-size:22px}header p{margin:4px 0 0}
        header.passed{background:#1f7a3a}header.failed{background:#b3261e}header.error{background:#8a5a00}
        h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #dde1e5;padding-bottom:4px}h3{font-size:15px;margin:12px 0 4px}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #eceff1}
        td.time{white-space:nowrap}table.glance th{width:170px;color:#5c6770;font-weight:600}code{font:13px ui-monospace,monospace;word-break:break-all}
        tr.failed td.status,li.failed strong{color:#b3261e}tr.error td.status,li.error strong{color:#8a5a00}tr.passed td.status{color:#1f7a3a}
        tr.skipped td{color:#7a848c}.measure{margin:8px 0}.measure .label{display:inline-block;width:48px;font-weight:600}
        svg.bar{display:block;width:100%;height:10px;margin-top:3px}rect.track{fill:#eceff1}rect.within{fill:#1f7a3a}rect.near{fill:#d08b00}rect.over{fill:#b3261e}
        svg.timeline,svg.trend{width:100%;height:auto;font:12px system-ui,sans-serif}svg rect.passed{fill:#2e9d50}svg rect.failed{fill:#d93025}
        svg rect.error{fill:#c88a00}svg rect.skipped{fill:#aab4bb}text.time{fill:#5c6770;font-size:11px}
        line.axis{stroke:#aab4bb}line.target{stroke:#b3261e;stroke-dasharray:4 3}polyline.line{fill:none;stroke:#3867d6;stroke-width:2}
        circle.passed{fill:#2e9d50}circle.failed{fill:#d93025}circle.error{fill:#c88a00}.warning{color:#8a5a00;font-weight:600}
        footer{margin-top:30px;color:#7a848c;font-size:12px}
        """
}
